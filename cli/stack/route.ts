import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { QUICKACK_ROUTE_ARGS, VPCD_CARD_HOST } from './constants.js';
import { BinaryMissingError } from './errors.js';
import { findBinary } from './proc.js';

const run = promisify(execFile);

/** `present`: our quickack route; `other`: a route for the card host without quickack; `absent`. */
export type RouteProbe = 'present' | 'other' | 'absent';

/** Outcome of changing the route: done, or refused with ip's own message. */
export type RouteChange =
  | { readonly ok: true }
  | { readonly ok: false; readonly denied: boolean; readonly message: string };

interface IpRoute {
  type?: string;
  dst?: string;
  metrics?: Array<Record<string, unknown>>;
}

function ipBinary(): string {
  const ip = findBinary('ip');
  if (ip === undefined) throw new BinaryMissingError('ip', 'install iproute2 (run `node scripts/bootstrap.mjs`)');
  return ip;
}

/**
 * Looks up the card host's entry in the local routing table.
 * @throws BinaryMissingError when `ip` is not installed.
 */
export async function probeQuickackRoute(): Promise<RouteProbe> {
  const { stdout } = await run(ipBinary(), ['-j', 'route', 'show', 'table', 'local', VPCD_CARD_HOST]);
  const routes = JSON.parse(stdout.trim() === '' ? '[]' : stdout) as IpRoute[];
  const mine = routes.filter((r) => r.type === 'local' && r.dst === VPCD_CARD_HOST);
  if (mine.length === 0) return 'absent';
  const quick = mine.some((r) => (r.metrics ?? []).some((m) => m['quickack'] === 1));
  return quick ? 'present' : 'other';
}

async function change(verb: 'add' | 'del'): Promise<RouteChange> {
  try {
    await run(ipBinary(), ['route', verb, ...QUICKACK_ROUTE_ARGS]);
    return { ok: true };
  } catch (err) {
    if (err instanceof BinaryMissingError) throw err;
    const message = String((err as { stderr?: unknown }).stderr ?? (err as Error).message).trim();
    return { ok: false, denied: /not permitted|permission denied/i.test(message), message };
  }
}

/** Adds the quickack route (needs CAP_NET_ADMIN). @throws BinaryMissingError without `ip`. */
export function addQuickackRoute(): Promise<RouteChange> {
  return change('add');
}

/** Removes the quickack route (needs CAP_NET_ADMIN). @throws BinaryMissingError without `ip`. */
export function deleteQuickackRoute(): Promise<RouteChange> {
  return change('del');
}
