import { Command, InvalidArgumentError } from 'commander';
import { StackError } from './errors.js';
import { formatDown, formatStatus, formatUp } from './format.js';
import { stackDown, stackStatus, stackUp } from './stack.js';

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) throw new InvalidArgumentError('expected 1..600000 ms');
  return ms;
}

/** Prints a stack failure as a message (with its hint) and sets a failing exit code. */
async function report<T>(json: boolean, work: () => Promise<T>, lines: (value: T) => string[]): Promise<void> {
  try {
    const value = await work();
    console.log(json ? JSON.stringify(value, null, 2) : lines(value).join('\n'));
  } catch (err) {
    if (!(err instanceof StackError)) throw err;
    console.error(`citycard stack: ${err.message}`);
    process.exitCode = 1;
  }
}

/** `citycard stack up | down | status`: the local pcscd + vpcd, Redis and the quickack route. */
export function stackCommand(): Command {
  const stack = new Command('stack').description('local infrastructure: pcscd with vpcd, Redis, quickack route');
  stack
    .command('up')
    .description('start what is missing (idempotent); records what it started')
    .option('--timeout <ms>', 'readiness timeout per component', parseTimeout)
    .option('--json', 'print the resulting state as JSON')
    .action(async (o: { timeout?: number; json?: boolean }) =>
      report(o.json === true, () => stackUp(o.timeout === undefined ? {} : { timeoutMs: o.timeout }), formatUp),
    );
  stack
    .command('down')
    .description('stop only what `stack up` started (idempotent)')
    .option('--json', 'print what was stopped as JSON')
    .action(async (o: { json?: boolean }) => report(o.json === true, () => stackDown(), formatDown));
  stack
    .command('status')
    .description('show each component: running (ours/external) or stopped')
    .option('--json', 'print the status as JSON')
    .action(async (o: { json?: boolean }) => report(o.json === true, () => stackStatus(), formatStatus));
  return stack;
}
