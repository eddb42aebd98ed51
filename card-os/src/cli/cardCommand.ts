/**
 * `citycard card …`: the virtual card's command group.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { runServeLifecycle } from './serveLifecycle.js';
import { z } from 'zod';
import { CorruptStateError } from '../storage/index.js';
import { VPCD_DEFAULT_HOST, VPCD_DEFAULT_PORT } from '../vpcd/vpcdAdapter.js';
import { CardNumberMismatchError, NotBlankError, serveCard } from './serveCard.js';

const serveOptionsSchema = z.object({
  port: z.number().int().min(1).max(65535),
  host: z.string().min(1),
  profile: z.literal('test'),
  cardNumber: z.string().regex(/^\d{16}$/, 'the card number is 16 digits'),
  balance: z.number().int().min(0).max(0xffffffff),
  stateDir: z.string().min(1),
  caDir: z.string().min(1).optional(),
  sync: z.boolean(),
  blank: z.boolean().optional(),
  csn: z.string().regex(/^[0-9A-Fa-f]{16}$/, 'a chip serial number is 16 hex digits').optional(),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']),
});

export function cardCommand(): Command {
  const card = new Command('card').description('virtual citizen cards');
  card
    .command('serve')
    .description('personalize (first start only) a virtual card and serve it to pcscd through vpcd')
    .option('--port <port>', 'vpcd port: 35963 is slot 0 (citizen card), 35964 slot 1', parsePort, VPCD_DEFAULT_PORT)
    .option('--host <address>', 'vpcd address (127.0.0.2 carries the quickack latency fix)', VPCD_DEFAULT_HOST)
    .addOption(new Option('--profile <profile>', 'personalization profile').choices(['test']).default('test'))
    .option('--card-number <digits>', 'card number (16 digits)', '1000000000000001')
    .option('--balance <fen>', 'purse balance at issue, in fen (first start only)', parseAmount, 0)
    .requiredOption('--state-dir <dir>', 'directory that keeps the card state (and the test CA)')
    .option('--ca-dir <dir>', 'directory of the test city CA (default: <state-dir>/ca)')
    .option('--blank', 'serve a blank card (transport key only) for personalization through the HSM')
    .option('--csn <hex>', 'chip serial number of a new blank card (16 hex digits; default random)')
    .option('--no-sync', 'do not fsync each commit (survives a killed process, not a power cut)')
    .addOption(
      new Option('--log-level <level>', 'log level (APDU bytes at trace, PINs always masked)')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .action(async (raw: unknown) => {
      const parsed = serveOptionsSchema.safeParse(raw);
      if (!parsed.success) {
        throw new InvalidArgumentError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      }
      const opts = parsed.data;
      const logger = pino({ name: 'card', level: opts.logLevel }, pino.destination(2));
      await runServeLifecycle({
        command: 'card serve',
        logger,
        start: () => serveCard({ ...opts, logger }),
        isOperatorError: (err) =>
          err instanceof CorruptStateError || err instanceof CardNumberMismatchError || err instanceof NotBlankError,
        readyLines: (card) => [
          `${card.cardNumber !== undefined ? `card ${card.cardNumber}` : `blank card CSN ${card.csn ?? '?'}`} ${card.personalizedNow ? 'personalized and ' : ''}serving on vpcd ${opts.host}:${opts.port}`,
          `city CA certificate: ${card.caCertificatePath ?? '(the HSM holds the city CA)'}`,
        ],
        stoppedLine: 'card removed; state closed',
      });
    });
  return card;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('a port is 1..65535');
  return port;
}

function parseAmount(value: string): number {
  const amount = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(amount)) throw new InvalidArgumentError('an amount is a whole number of fen');
  return amount;
}
