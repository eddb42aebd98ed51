/**
 * `citycard card …`: the virtual card's command group.
 */
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { runServeLifecycle } from './serveLifecycle.js';
import { z } from 'zod';
import { CorruptStateError } from '../storage/index.js';
import { VPCD_DEFAULT_PORT } from '../vpcd/vpcdAdapter.js';
import { addServeOptions, commonServeSchema, parseServeOptions } from './serveOptions.js';
import { CardNumberMismatchError, NotBlankError, serveCard } from './serveCard.js';

const serveOptionsSchema = commonServeSchema.extend({
  cardNumber: z.string().regex(/^\d{16}$/, 'the card number is 16 digits'),
  balance: z.number().int().min(0).max(0xffffffff),
  caDir: z.string().min(1).optional(),
});

export function cardCommand(): Command {
  const card = new Command('card').description('virtual citizen cards');
  addServeOptions(
    card.command('serve').description('personalize (first start only) a virtual card and serve it to pcscd through vpcd'),
    {
      what: 'card',
      defaultPort: VPCD_DEFAULT_PORT,
      portHelp: 'vpcd port: 35963 is slot 0 (citizen card), 35964 slot 1',
      stateDirHelp: 'directory that keeps the card state (and the test CA)',
      logLevelHelp: 'log level (APDU bytes at trace, PINs always masked)',
    },
  )
    .option('--card-number <digits>', 'card number (16 digits)', '1000000000000001')
    .option('--balance <fen>', 'purse balance at issue, in fen (first start only)', parseAmount, 0)
    .option('--ca-dir <dir>', 'directory of the test city CA (default: <state-dir>/ca)')
    .action(async (raw: unknown) => {
      const opts = parseServeOptions(serveOptionsSchema, raw);
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

function parseAmount(value: string): number {
  const amount = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(amount)) throw new InvalidArgumentError('an amount is a whole number of fen');
  return amount;
}
