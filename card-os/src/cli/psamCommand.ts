/**
 * `citycard psam …`: the virtual PSAM's command group.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { runServeLifecycle } from './serveLifecycle.js';
import { z } from 'zod';
import { PersonalizationError } from '../personalization/errors.js';
import { CorruptStateError } from '../storage/index.js';
import { VPCD_DEFAULT_HOST } from '../vpcd/vpcdAdapter.js';
import { PsamStateError, servePsam, VPCD_PSAM_PORT } from './servePsam.js';

const serveOptionsSchema = z.object({
  port: z.number().int().min(1).max(65535),
  host: z.string().min(1),
  profile: z.literal('test'),
  terminalNumber: z.string().regex(/^\d{12}$/, 'the terminal number is 12 digits'),
  stateDir: z.string().min(1),
  sync: z.boolean(),
  blank: z.boolean().optional(),
  csn: z.string().regex(/^[0-9A-Fa-f]{16}$/, 'a chip serial number is 16 hex digits').optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']),
});

export function psamCommand(): Command {
  const psam = new Command('psam').description('virtual PSAMs (the terminal\'s purchase secure access module)');
  psam
    .command('serve')
    .description('personalize (first start only) a virtual PSAM and serve it to pcscd through vpcd')
    .option('--port <port>', 'vpcd port: 35964 is slot 1 (PSAM), 35963 slot 0', parsePort, VPCD_PSAM_PORT)
    .option('--host <address>', 'vpcd address (127.0.0.2 carries the quickack latency fix)', VPCD_DEFAULT_HOST)
    .addOption(new Option('--profile <profile>', 'personalization profile').choices(['test']).default('test'))
    .option('--terminal-number <digits>', 'terminal number (12 digits)', '000000000001')
    .requiredOption('--state-dir <dir>', 'directory that keeps the PSAM state (keys, TTSN)')
    .option('--blank', 'serve a blank PSAM (transport key only) for personalization through the HSM')
    .option('--csn <hex>', 'chip serial number of a new blank PSAM (16 hex digits; default random)')
    .option('--no-sync', 'do not fsync each commit (survives a killed process, not a power cut)')
    .addOption(
      new Option('--log-level <level>', 'log level (APDU bytes at trace, keys never)')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .action(async (raw: unknown) => {
      const parsed = serveOptionsSchema.safeParse(raw);
      if (!parsed.success) {
        throw new InvalidArgumentError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      }
      const opts = parsed.data;
      const logger = pino({ name: 'psam', level: opts.logLevel }, pino.destination(2));
      await runServeLifecycle({
        command: 'psam serve',
        logger,
        start: () => servePsam({ ...opts, logger }),
        isOperatorError: (err) =>
          err instanceof CorruptStateError || err instanceof PsamStateError || err instanceof PersonalizationError,
        readyLines: (psamCard) => [
          `psam ${psamCard.terminalNumber ?? '(blank)'} ${psamCard.personalizedNow ? 'personalized and ' : ''}serving on vpcd ${opts.host}:${opts.port}`,
        ],
        stoppedLine: 'psam removed; state closed',
      });
    });
  return psam;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('a port is 1..65535');
  return port;
}
