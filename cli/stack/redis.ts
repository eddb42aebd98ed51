import { mkdir } from 'node:fs/promises';
import { REDIS_HOST, REDIS_PORT } from './constants.js';
import { logTail, spawnDaemon, waitReady } from './daemon.js';
import { BinaryMissingError, PortBusyError, StartFailedError } from './errors.js';
import { findBinary } from './proc.js';
import { pingRedis } from './probes.js';
import type { RedisProbe } from './probes.js';
import type { ProcessRecord } from './record.js';

export function probeRedis(): Promise<RedisProbe> {
  return pingRedis(REDIS_HOST, REDIS_PORT);
}

/**
 * Starts redis-server on REDIS_HOST:REDIS_PORT (loopback only, protected mode, no snapshots,
 * files under `dir`) and waits for PING.
 * @throws BinaryMissingError without redis-server; PortBusyError when the port answers but not as
 *   Redis; StartFailedError when it exits or does not answer PING within timeoutMs.
 */
export async function startRedis(dir: string, log: string, timeoutMs: number): Promise<ProcessRecord> {
  const binary = findBinary('redis-server');
  if (binary === undefined) {
    throw new BinaryMissingError('redis-server', 'run `node scripts/bootstrap.mjs` (it installs redis-server)');
  }
  if ((await probeRedis()) !== 'closed') {
    throw new PortBusyError('redis', `${REDIS_HOST}:${REDIS_PORT} is held by something that does not answer Redis PING`);
  }
  await mkdir(dir, { recursive: true });
  const args = [
    '--bind', REDIS_HOST, '--port', String(REDIS_PORT), '--protected-mode', 'yes',
    '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', '',
  ];
  const daemon = await spawnDaemon('redis', binary, args, log);
  const outcome = await waitReady(daemon, async () => (await probeRedis()) === 'pong', timeoutMs);
  if (outcome === 'ready') return daemon.record;
  if (outcome === 'timeout') {
    try {
      process.kill(daemon.record.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const why =
    outcome === 'exited'
      ? 'redis-server exited during startup'
      : `redis-server did not answer PING within ${timeoutMs} ms`;
  throw new StartFailedError('redis', `${why}${await logTail(log)}`);
}
