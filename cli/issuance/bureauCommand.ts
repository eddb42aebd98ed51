/**
 * `citycard bureau issue-batch`: the personalization station in bureau mode. Claims issuance jobs
 * from the backend, personalizes the blank card in the reader through the HSM, reports each card,
 * and shows a progress bar on stderr. Credentials come from the environment (flags would show in
 * process listings): CITYCARD_BACKEND_TOKEN (a clerk session) and CITYCARD_HSM_TOKEN (bureau role).
 * Exit codes are listed in issueBatch.ts.
 */
import { Command, InvalidArgumentError } from 'commander';
import { VPCD_READER_NAMES } from '../stack/constants.js';
import { type IssueBatchOptions, issueBatch } from './issueBatch.js';

const positiveInt = (max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`must be an integer 1-${max}`);
  return n;
};

const stationName = (value: string): string => {
  // The backend's rule, checked here so a typo stops the command before the first card.
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(value)) throw new InvalidArgumentError('must be 1-64 letters, digits, dots, underscores or hyphens');
  return value;
};

export function bureauCommand(): Command {
  const bureau = new Command('bureau').description('card bureau work at a personalization station');
  bureau
    .command('issue-batch')
    .description('personalize queued cards one after the other through this station (progress on stderr; exit 0 all done, 1 stopped short, 2 cannot start)')
    .requiredOption('--count <n>', 'cards to personalize (1-10000)', positiveInt(10_000))
    .option('--backend <url>', 'backend base URL', process.env.CITYCARD_BACKEND_URL ?? 'http://127.0.0.1:8080')
    .option('--station <name>', 'this station\'s name, as the backend records it', stationName, 'station-1')
    .option('--reader <name>', 'PC/SC reader holding the blank card', VPCD_READER_NAMES[0])
    .option('--hsm-socket <path>', 'unix socket of the HSM', process.env.CITYCARD_HSM_SOCKET)
    .option('--queue', 'first queue up to --count approved cards without a job as one batch')
    .option('--no-swap-cards', 'do not wait for the card to be swapped between cards (a feeder re-blanks in place)')
    .option('--card-timeout <s>', 'seconds to wait for the operator to take a card out or put the next one in (1-3600)', positiveInt(3600), 120)
    .action(async (opts: Omit<IssueBatchOptions, 'queue'> & { queue?: boolean }) => {
      process.exitCode = await issueBatch({ ...opts, queue: opts.queue === true }, process.env, process.stderr);
    });
  return bureau;
}
