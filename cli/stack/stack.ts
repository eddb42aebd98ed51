import {
  QUICKACK_ROUTE_ARGS,
  QUICKACK_ROUTE_COMMAND,
  READY_TIMEOUT_MS,
  REDIS_HOST,
  REDIS_PORT,
  STOP_TIMEOUT_MS,
  VPCD_CARD_HOST,
  VPCD_PORTS,
} from './constants.js';
import { PortBusyError, StopFailedError } from './errors.js';
import { withLock } from './lock.js';
import { stackPaths } from './paths.js';
import { pcscdRunning, startPcscd, vpcdListening } from './pcscd.js';
import { isRecordedProcessAlive, terminateRecorded } from './proc.js';
import { readRecord, writeRecord } from './record.js';
import type { StackRecord } from './record.js';
import { probeRedis, startRedis } from './redis.js';
import { addQuickackRoute, deleteQuickackRoute } from './route.js';
import { probeRoute, statusOf } from './status.js';
import type { StackComponent, StackDownResult, StackOptions, StackState } from './types.js';

export { stackStatus } from './status.js';

const COMPONENTS: readonly StackComponent[] = ['pcscd', 'redis', 'route'];

/** Bound on waiting for another stack command's lock. */
const LOCK_WAIT_MS = 30_000;

/** Drops recorded processes that exited (or whose PID now names another process). */
async function pruneDead(record: StackRecord): Promise<void> {
  if (record.pcscd !== undefined && !(await isRecordedProcessAlive(record.pcscd))) delete record.pcscd;
  if (record.redis !== undefined && !(await isRecordedProcessAlive(record.redis))) delete record.redis;
}

/**
 * Brings the local stack up: pcscd with vpcd, Redis, and the quickack route, each only when not
 * already there. Records what it started in `<stateDir>/stack.json`; a second call changes nothing.
 * A missing route fix is a warning (APDUs then take ~44 ms), not an error.
 * @throws BinaryMissingError, PortBusyError, StartFailedError (components started before the
 *   failure stay recorded, so stackDown stops them), StateRecordError.
 */
export async function stackUp(opts: StackOptions = {}): Promise<StackState> {
  const paths = stackPaths(opts.stateDir);
  const timeoutMs = opts.timeoutMs ?? READY_TIMEOUT_MS;
  return withLock(paths.lock, LOCK_WAIT_MS, async () => {
    const record = await readRecord(paths.record);
    await pruneDead(record);
    const started: StackComponent[] = [];
    const warnings: string[] = [];

    if (record.pcscd === undefined && !(await pcscdRunning())) {
      record.pcscd = await startPcscd(paths.pcscdLog, timeoutMs);
      started.push('pcscd');
      await writeRecord(paths.record, record);
    } else if (!(await vpcdListening())) {
      warnings.push(
        `pcscd runs, but the vpcd readers do not listen on TCP ${VPCD_PORTS.join(' and ')}: ` +
          'install vsmartcard-vpcd and restart that pcscd',
      );
    }

    if (record.redis === undefined) {
      const probe = await probeRedis();
      if (probe === 'other') {
        throw new PortBusyError('redis', `${REDIS_HOST}:${REDIS_PORT} is held by something that does not answer Redis PING`);
      }
      if (probe === 'closed') {
        record.redis = await startRedis(paths.redisDir, paths.redisLog, timeoutMs);
        started.push('redis');
        await writeRecord(paths.record, record);
      } else if (probe === 'locked') {
        warnings.push(`the Redis on ${REDIS_HOST}:${REDIS_PORT} requires authentication; the backend needs its credentials`);
      }
    }

    const route = await probeRoute();
    if (route !== 'present') delete record.route;
    if (route === undefined) {
      warnings.push('`ip` (iproute2) is missing, so the quickack route cannot be added: APDUs through vpcd will take ~44 ms');
    } else if (route === 'other') {
      warnings.push(
        `a route for ${VPCD_CARD_HOST} without quickack is in the local table: APDUs through vpcd will take ~44 ms. ` +
          `Replace it with: ${QUICKACK_ROUTE_COMMAND}`,
      );
    } else if (route === 'absent') {
      const change = await addQuickackRoute();
      if (change.ok) {
        record.route = { args: [...QUICKACK_ROUTE_ARGS], addedAt: new Date().toISOString() };
        started.push('route');
      } else {
        warnings.push(
          `${change.denied ? 'no CAP_NET_ADMIN to add' : 'could not add'} the quickack route (${change.message}): ` +
            `APDUs through vpcd will take ~44 ms. As root: ${QUICKACK_ROUTE_COMMAND}`,
        );
      }
    }
    await writeRecord(paths.record, record);
    return { ...(await statusOf(paths, record)), started, warnings };
  });
}

/**
 * Stops only what stack.json says this project started: SIGTERM to each recorded PID that still is
 * that program (same start time and name), waiting up to STOP_TIMEOUT_MS, and removes the route if
 * we added it. External pcscd/Redis/route are left alone. A second call does nothing.
 * @throws StopFailedError when a process outlives the wait or the route cannot be removed (what
 *   could not be stopped stays recorded); StateRecordError.
 */
export async function stackDown(
  opts: Pick<StackOptions, 'stateDir'> & {
    /** Stop only these components (those a caller's own `stackUp` started); default: all recorded. */
    only?: readonly StackComponent[];
  } = {},
): Promise<StackDownResult> {
  const wanted = (c: StackComponent): boolean => opts.only === undefined || opts.only.includes(c);
  const paths = stackPaths(opts.stateDir);
  return withLock(paths.lock, LOCK_WAIT_MS, async () => {
    const record = await readRecord(paths.record);
    const stopped: StackComponent[] = [];
    const failed: Array<{ component: StackComponent; reason: string }> = [];
    await Promise.all(
      (['pcscd', 'redis'] as const).map(async (name) => {
        const proc = record[name];
        if (proc === undefined || !wanted(name)) return;
        const wasAlive = await isRecordedProcessAlive(proc);
        if (await terminateRecorded(proc, STOP_TIMEOUT_MS)) {
          delete record[name];
          if (wasAlive) stopped.push(name);
        } else {
          const reason = `${name} (pid ${proc.pid}) did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`;
          failed.push({ component: name, reason });
        }
      }),
    );
    if (record.route !== undefined && wanted('route')) {
      if ((await probeRoute()) === 'present') {
        const change = await deleteQuickackRoute();
        if (change.ok) {
          delete record.route;
          stopped.push('route');
        } else {
          failed.push({ component: 'route', reason: `the quickack route could not be removed (${change.message})` });
        }
      } else {
        delete record.route;
      }
    }
    await writeRecord(paths.record, record);
    if (failed.length > 0) {
      throw new StopFailedError(
        failed.map((f) => f.component),
        `could not stop everything; still recorded in ${paths.record}:\n  ${failed.map((f) => f.reason).join('\n  ')}`,
      );
    }
    return { stateDir: paths.stateDir, stopped: COMPONENTS.filter((c) => stopped.includes(c)) };
  });
}

