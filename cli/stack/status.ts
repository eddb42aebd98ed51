import { REDIS_PORT } from './constants.js';
import { BinaryMissingError } from './errors.js';
import { stackPaths } from './paths.js';
import type { StackPaths } from './paths.js';
import { pcscdRunning, vpcdListening } from './pcscd.js';
import { isRecordedProcessAlive } from './proc.js';
import { readRecord } from './record.js';
import type { StackRecord } from './record.js';
import { probeRedis } from './redis.js';
import { probeQuickackRoute } from './route.js';
import type { RouteProbe } from './route.js';
import type { StackOptions, StackStatus } from './types.js';

/** The route probe, or undefined when `ip` is not installed. */
export async function probeRoute(): Promise<RouteProbe | undefined> {
  try {
    return await probeQuickackRoute();
  } catch (err) {
    if (err instanceof BinaryMissingError) return undefined;
    throw err;
  }
}

/** Status of each component, given the record of what we started. */
export async function statusOf(paths: StackPaths, record: StackRecord): Promise<StackStatus> {
  const [pcscdOurs, redisOurs, pcscdUp, vpcd, redis, route] = await Promise.all([
    record.pcscd === undefined ? false : isRecordedProcessAlive(record.pcscd),
    record.redis === undefined ? false : isRecordedProcessAlive(record.redis),
    pcscdRunning(),
    vpcdListening(),
    probeRedis(),
    probeRoute(),
  ]);
  const redisUp = redisOurs || redis === 'pong' || redis === 'locked';
  const redisDetail =
    redis === 'other'
      ? `port ${REDIS_PORT} is held by something that is not Redis`
      : redis === 'locked'
        ? 'requires authentication'
        : undefined;
  return {
    stateDir: paths.stateDir,
    pcscd: {
      running: pcscdOurs || pcscdUp,
      owner: pcscdOurs ? 'ours' : pcscdUp ? 'external' : undefined,
      pid: pcscdOurs ? record.pcscd?.pid : undefined,
      vpcdReaders: vpcd,
    },
    redis: {
      running: redisUp,
      owner: redisOurs ? 'ours' : redisUp ? 'external' : undefined,
      pid: redisOurs ? record.redis?.pid : undefined,
      ...(redisDetail === undefined ? {} : { detail: redisDetail }),
    },
    route: {
      present: route === 'present',
      owner: route !== 'present' ? undefined : record.route !== undefined ? 'ours' : 'external',
      conflicting: route === 'other',
    },
  };
}

/** Reports each component: running (ours or external) or stopped, and whether the route fix is in place. */
export async function stackStatus(opts: Pick<StackOptions, 'stateDir'> = {}): Promise<StackStatus> {
  const paths = stackPaths(opts.stateDir);
  return statusOf(paths, await readRecord(paths.record));
}
