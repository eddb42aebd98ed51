/**
 * `citycard psam …`: the virtual PSAM's command group.
 */
import { Command } from 'commander';
import { pino } from 'pino';
import { runServeLifecycle } from './serveLifecycle.js';
import { z } from 'zod';
import { PersonalizationError } from '../personalization/errors.js';
import { CorruptStateError } from '../storage/index.js';
import { addServeOptions, commonServeSchema, parseServeOptions } from './serveOptions.js';
import { PsamStateError, servePsam, VPCD_PSAM_PORT } from './servePsam.js';

const serveOptionsSchema = commonServeSchema.extend({
  terminalNumber: z.string().regex(/^\d{12}$/, 'the terminal number is 12 digits'),
});

export function psamCommand(): Command {
  const psam = new Command('psam').description('virtual PSAMs (the terminal\'s purchase secure access module)');
  addServeOptions(
    psam.command('serve').description('personalize (first start only) a virtual PSAM and serve it to pcscd through vpcd'),
    {
      what: 'PSAM',
      defaultPort: VPCD_PSAM_PORT,
      portHelp: 'vpcd port: 35964 is slot 1 (PSAM), 35963 slot 0',
      stateDirHelp: 'directory that keeps the PSAM state (keys, TTSN)',
      logLevelHelp: 'log level (APDU bytes at trace, keys never)',
    },
  )
    .option('--terminal-number <digits>', 'terminal number (12 digits)', '000000000001')
    .action(async (raw: unknown) => {
      const opts = parseServeOptions(serveOptionsSchema, raw);
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
