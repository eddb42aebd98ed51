/**
 * Composition of a running clearing worker from the backend's services: the HSM verifier, the
 * ledger, the hotlist for clones, the terminal → merchant lookup, and clearInboxRows bound to
 * them. Used by `backend serve` (embedded worker) and `backend clearing-worker` (its own process).
 */
import { HsmAuthError, HsmTransportError } from '@citycard/hsm-sim';
import type { Logger } from 'pino';
import { TerminalRepository } from '../data/terminalRepository.js';
import { type ClearingDeps, type TacVerifier, clearInboxRows } from '../domain/clearing/index.js';
import { Ledger } from '../domain/ledger/index.js';
import type { BackendContext } from '../http/context.js';
import { ClearingPipeline } from './clearingPipeline.js';
import type { ClearingSettings } from './clearingSettings.js';
import { HSM_TOKEN_ENV } from './clearingSettings.js';
import { type ClearingWorker, startClearingWorker } from './clearingWorker.js';
import { HsmRoleError, HsmTacVerifier } from './hsmTacVerifier.js';

/** The worker cannot start as configured (HSM credential refused, wrong role, no token, no Redis). */
export class ClearingSetupError extends Error {
  override readonly name = 'ClearingSetupError';
  readonly code = 'CLEARING_SETUP';
}

/** The hotlist reason a clone is listed under: the card is withdrawn, as after a revocation. */
const CLONE_LISTING_REASON = 'revoked';

/** clearInboxRows' dependencies from the backend's services. */
export function clearingDepsOf(context: BackendContext, tacs: TacVerifier): ClearingDeps {
  const terminals = new TerminalRepository(context.db);
  return {
    db: context.db,
    ledger: new Ledger(context.db, context.clock),
    tacs,
    hotlist: {
      hotlistClone: async (cardNumber) => {
        if (context.hotlist.isListed(cardNumber)) return;
        const entry = await context.hotlist.listCard(cardNumber, CLONE_LISTING_REASON);
        context.audit.record({ at: context.clock().toISOString(), actor: 'system', action: 'clearing.clone.hotlist', target: cardNumber, details: { hotlistVersion: entry.version } });
      },
    },
    clock: context.clock,
    merchantOf: (terminalNumber) => terminals.find(terminalNumber)?.merchantId,
  };
}

/** The producer side for `serve` and the worker process, with the settings' prefix and job size. */
export function clearingPipelineOf(options: { db: BackendContext['db']; logger: Logger; redisUrl: string; settings: ClearingSettings }): ClearingPipeline {
  return new ClearingPipeline({ db: options.db, logger: options.logger, redisUrl: options.redisUrl, prefix: options.settings.queuePrefix, jobRows: options.settings.jobRows });
}

export interface RunningClearing {
  readonly worker: ClearingWorker;
  close(): Promise<void>;
}

/**
 * What a worker needs before anything is opened: Redis on, an HSM socket, a token.
 * @throws ClearingSetupError naming what is missing.
 */
export function checkClearingSetup(redisUrl: string, settings: ClearingSettings, env: Record<string, string | undefined>): { socketPath: string; token: string } {
  if (redisUrl === '') throw new ClearingSetupError('clearing needs Redis: set CITYCARD_BACKEND_REDIS_URL');
  if (settings.hsmSocket === undefined) throw new ClearingSetupError('clearing needs the HSM: give --hsm-socket (or CITYCARD_HSM_SOCKET)');
  const token = env[HSM_TOKEN_ENV];
  if (token === undefined || token === '') throw new ClearingSetupError(`set ${HSM_TOKEN_ENV} to a clearing client token of the HSM`);
  return { socketPath: settings.hsmSocket, token };
}

/**
 * Starts a worker (and its sweeper) in this process, clearing through the HSM at
 * `settings.hsmSocket` with the token in CITYCARD_HSM_TOKEN.
 * @throws ClearingSetupError when Redis is off, the socket or token is missing, or the HSM refuses
 *   the credential or names another role. An HSM that cannot be reached yet is only logged: jobs
 *   retry until it answers.
 */
export async function startClearing(
  context: BackendContext,
  settings: ClearingSettings,
  env: Record<string, string | undefined>,
): Promise<RunningClearing> {
  const { socketPath, token } = checkClearingSetup(context.config.redisUrl, settings, env);
  const tacs = new HsmTacVerifier({ socketPath, token });
  try {
    await tacs.connect();
  } catch (err) {
    if (err instanceof HsmRoleError || err instanceof HsmAuthError) {
      await tacs.close();
      throw new ClearingSetupError(`the HSM refused clearing: ${err.message}`, { cause: err });
    }
    if (!(err instanceof HsmTransportError)) throw err;
    context.logger.warn({ err: err.message }, 'clearing: the HSM is not reachable yet; jobs retry until it is');
  }
  const deps = clearingDepsOf(context, tacs);
  const worker = startClearingWorker({
    redisUrl: context.config.redisUrl,
    prefix: settings.queuePrefix,
    db: context.db,
    clear: (rows) => clearInboxRows(deps, rows),
    logger: context.logger,
    clock: context.clock,
    concurrency: settings.concurrency,
    jobRows: settings.jobRows,
    graceMs: settings.graceSeconds * 1000,
    sweepIntervalMs: settings.sweepIntervalSeconds * 1000,
    lockMs: settings.lockSeconds * 1000,
    ...(context.clearing.queue === undefined ? {} : { queue: context.clearing.queue }),
  });
  return {
    worker,
    close: async () => {
      await worker.close();
      await tacs.close();
    },
  };
}

/**
 * `backend serve`'s embedded worker: started when settings.worker is 'embedded', Redis is on and
 * an HSM socket is given; otherwise logs why not and returns undefined (rows then wait for a
 * `clearing-worker` process).
 * @throws ClearingSetupError as startClearing.
 */
export async function startEmbeddedClearing(context: BackendContext, settings: ClearingSettings, env: Record<string, string | undefined>): Promise<RunningClearing | undefined> {
  context.clearing.start();
  if (settings.worker === 'off') return undefined;
  if (context.config.redisUrl === '' || settings.hsmSocket === undefined) {
    context.logger.info(
      context.config.redisUrl === '' ? 'clearing: Redis is off; uploads wait in the inbox' : 'clearing: no --hsm-socket, so no embedded worker; run `citycard backend clearing-worker`',
    );
    return undefined;
  }
  return startClearing(context, settings, env);
}
