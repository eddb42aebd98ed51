/**
 * What `card serve` and `psam serve` share on the command line: where to reach vpcd, the
 * personalization profile, blank cards, fsync, log level; and one way to turn the parsed
 * options into a validated object or a clear usage error.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { VPCD_DEFAULT_HOST } from '../vpcd/vpcdAdapter.js';

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

/** The validated fields every serve command has; extend with the command's own. */
export const commonServeSchema = z.object({
  port: z.number().int().min(1).max(65535),
  host: z.string().min(1),
  profile: z.literal('test'),
  stateDir: z.string().min(1),
  sync: z.boolean(),
  blank: z.boolean().optional(),
  csn: z.string().regex(/^[0-9A-Fa-f]{16}$/, 'a chip serial number is 16 hex digits').optional(),
  logLevel: z.enum(LOG_LEVELS),
});

export interface ServeOptionTexts {
  /** `card` or `PSAM`, for the help texts. */
  readonly what: string;
  readonly defaultPort: number;
  readonly portHelp: string;
  readonly stateDirHelp: string;
  readonly logLevelHelp: string;
}

/** Add the shared options; the command adds its own before or after. */
export function addServeOptions(command: Command, texts: ServeOptionTexts): Command {
  return command
    .option('--port <port>', texts.portHelp, parsePort, texts.defaultPort)
    .option('--host <address>', 'vpcd address (127.0.0.2 carries the quickack latency fix)', VPCD_DEFAULT_HOST)
    .addOption(new Option('--profile <profile>', 'personalization profile').choices(['test']).default('test'))
    .requiredOption('--state-dir <dir>', texts.stateDirHelp)
    .option('--blank', `serve a blank ${texts.what} (transport key only) for personalization through the HSM`)
    .option('--csn <hex>', `chip serial number of a new blank ${texts.what} (16 hex digits; default random)`)
    .option('--no-sync', 'do not fsync each commit (survives a killed process, not a power cut)')
    .addOption(new Option('--log-level <level>', texts.logLevelHelp).choices([...LOG_LEVELS]).default('info'));
}

/** Validate commander's options with `schema`; throws `InvalidArgumentError` listing every problem. */
export function parseServeOptions<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidArgumentError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('a port is 1..65535');
  return port;
}
