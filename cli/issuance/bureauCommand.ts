/**
 * `citycard bureau issue-batch`: the personalization station in bureau mode. Claims issuance jobs
 * from the backend, personalizes the blank card in the reader through the HSM, reports each card,
 * and shows a progress bar on stderr. Credentials come from the environment (flags would show in
 * process listings): CITYCARD_BACKEND_TOKEN (a clerk session) and CITYCARD_HSM_TOKEN (bureau role).
 */
import { Command, InvalidArgumentError } from 'commander';
import { HsmClient } from '@citycard/hsm-sim';
import { PcscAdapter } from '@citycard/terminal-agent';
import { HttpIssuanceQueue, type IssuanceOutcome, runIssuanceBatch } from '../../terminal-agent/src/bureau/index.js';
import { VPCD_READER_NAMES } from '../stack/constants.js';
import { renderProgressBar } from './progressBar.js';

interface IssueBatchOptions {
  count: number;
  backend: string;
  station: string;
  reader: string;
  hsmSocket: string;
  queue: boolean;
  swapCards: boolean;
  cardTimeout: number;
}

const positiveInt = (max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`must be an integer 1-${max}`);
  return n;
};

export function bureauCommand(): Command {
  const bureau = new Command('bureau').description('card bureau work at a personalization station');
  bureau
    .command('issue-batch')
    .description('personalize queued cards one after the other through this station (progress on stderr)')
    .requiredOption('--count <n>', 'cards to personalize (1-10000)', positiveInt(10_000))
    .option('--backend <url>', 'backend base URL', process.env.CITYCARD_BACKEND_URL ?? 'http://127.0.0.1:8080')
    .option('--station <name>', 'this station\'s name, as the backend records it', 'station-1')
    .option('--reader <name>', 'PC/SC reader holding the blank card', VPCD_READER_NAMES[0])
    .option('--hsm-socket <path>', 'unix socket of the HSM', process.env.CITYCARD_HSM_SOCKET)
    .option('--queue', 'first queue up to --count approved cards without a job as one batch')
    .option('--no-swap-cards', 'do not wait for the card to be swapped between cards (a feeder re-blanks in place)')
    .option('--card-timeout <s>', 'seconds to wait for the next blank card (1-3600)', positiveInt(3600), 120)
    .action(async (opts: IssueBatchOptions) => {
      process.exitCode = await issueBatch(opts);
    });
  return bureau;
}

async function issueBatch(opts: IssueBatchOptions): Promise<number> {
  const token = process.env.CITYCARD_BACKEND_TOKEN;
  const hsmToken = process.env.CITYCARD_HSM_TOKEN;
  if (token === undefined || token === '') return fail('set CITYCARD_BACKEND_TOKEN to a clerk session token');
  if (hsmToken === undefined || hsmToken === '') return fail('set CITYCARD_HSM_TOKEN to a bureau client token of the HSM');
  if (opts.hsmSocket === undefined) return fail('give --hsm-socket (or CITYCARD_HSM_SOCKET)');

  let batchId: string | undefined;
  if (opts.queue) {
    const res = await fetch(new URL('/api/v1/issuance/batches', opts.backend), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ count: opts.count }),
    });
    const body = (await res.json()) as { batchId?: string; jobIds?: string[]; error?: { message: string } };
    if (!res.ok) return fail(`the backend refused the batch: ${body.error?.message ?? res.status}`);
    batchId = body.batchId;
    process.stderr.write(`bureau: queued ${body.jobIds?.length ?? 0} cards as batch ${batchId}\n`);
  }

  const queue = new HttpIssuanceQueue({ baseUrl: opts.backend, token, station: opts.station });
  const custodian = await HsmClient.connect({ address: { path: opts.hsmSocket }, token: hsmToken });
  const reader = await PcscAdapter.open(opts.reader);
  const timeoutMs = opts.cardTimeout * 1000;
  let first = true;
  const bar = (counts: Parameters<typeof renderProgressBar>[0]): void => {
    process.stderr.write(`\r${renderProgressBar(counts)}`);
  };
  try {
    bar({ count: opts.count, done: 0, failed: 0, unreported: 0 });
    const result = await runIssuanceBatch({
      queue,
      custodian,
      count: opts.count,
      blankCard: async () => {
        if (!first && opts.swapCards) {
          process.stderr.write('\nbureau: take the card out and insert the next blank card\n');
          await waitForRemoval(reader, timeoutMs);
        }
        first = false;
        await reader.waitForCard(timeoutMs);
        return reader;
      },
      onOutcome: (outcome, progress) => {
        if (outcome.kind !== 'done') process.stderr.write(`\n${describe(outcome)}\n`);
        bar(progress);
      },
    });
    process.stderr.write(`\nbureau: ${result.done} done, ${result.failed} failed, ${result.unreported} unreported (${result.stopped})\n`);
    if (batchId !== undefined) {
      const res = await fetch(new URL(`/api/v1/issuance/batches/${batchId}`, opts.backend), { headers: { authorization: `Bearer ${token}` } });
      if (res.ok) process.stderr.write(`bureau: batch ${batchId}: ${JSON.stringify(await res.json())}\n`);
    }
    return result.done === opts.count ? 0 : 1;
  } finally {
    await reader.close();
    await custodian.close();
  }
}

function describe(outcome: IssuanceOutcome): string {
  if (outcome.kind === 'failed') {
    const reported = outcome.reportError === undefined ? 'back in the queue' : `not reported (${outcome.reportError.message}); its lease will run out`;
    return `bureau: job ${outcome.jobId} failed at ${outcome.failure.step}: ${outcome.failure.reason}; ${reported}`;
  }
  if (outcome.kind === 'unreported') {
    return `bureau: card ${outcome.cardNumber} is personalized but the backend was not told (${outcome.error.message}): set it aside`;
  }
  return `bureau: card ${outcome.cardNumber} done`;
}

async function waitForRemoval(reader: PcscAdapter, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (await reader.isPresent()) {
    if (Date.now() > until) throw new Error('the card was not taken out in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function fail(message: string): number {
  process.stderr.write(`bureau: ${message}\n`);
  return 2;
}
