/**
 * A gate or POS terminal put together from its configuration:
 *
 * - the record store `<dataDir>/records.sqlite` (the tap's intents and records, the upload outbox);
 * - with a backend: the hotlist (`<dataDir>/hotlist.sqlite`, loaded at once, then its stream and
 *   polls) and the uploader (key `<dataDir>/upload-key.pem`, registered with the backend before
 *   the first batch), both in the background;
 * - the offline risk policy over the hotlist and the store (a terminal without a backend has no
 *   hotlist and is stale from the start: `risk.whenStale` decides what it still accepts);
 * - the reader manager on pcscd with the configured reader names (or one passed in);
 * - the runner of the mode.
 *
 * `close()` stops the runner (a tap in flight finishes), then releases the readers it opened,
 * then the store.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { HotlistSync, type HotlistSyncEvent } from '../hotlist/hotlistSync.js';
import type { ReaderLogger, ReaderManager } from '../readers/readerManager.js';
import { PcscReaderManager } from '../readers/pcscReaderManager.js';
import type { ReaderRoleConfig } from '../readers/readerRoles.js';
import { type HotlistView, createOfflineRiskPolicy } from '../risk/offlineRiskPolicy.js';
import type { RiskPolicy } from '../risk/riskPolicy.js';
import { RecordStore } from '../store/recordStore.js';
import { BatchUploader, type UploadEvent } from '../upload/batchUploader.js';
import { registerUploadKey } from '../upload/registerUploadKey.js';
import { loadOrCreateUploadKey } from '../upload/uploadKeyFile.js';
import { type AgentConfig, AgentConfigError, fareRuleOf } from './agentConfig.js';
import { type BackgroundTask, hotlistTask, uploadTask } from './backgroundTasks.js';
import { GateRunner } from './gateRunner.js';
import { PosRunner } from './posRunner.js';
import type { RunnerOptions } from './terminalRunner.js';

export const RECORDS_FILE = 'records.sqlite';
export const HOTLIST_FILE = 'hotlist.sqlite';

export interface AgentHooks {
  /** Readers to use instead of pcscd (tests, the in-process demo); the agent does not close them. */
  readonly readers?: ReaderManager | undefined;
  readonly readerLogger?: ReaderLogger | undefined;
  readonly onHotlistEvent?: ((event: HotlistSyncEvent) => void) | undefined;
  readonly onUploadEvent?: ((event: UploadEvent) => void) | undefined;
  /** Default: the system clock. */
  readonly clock?: (() => Date) | undefined;
}

export interface TerminalAgent<R> {
  readonly runner: R;
  readonly store: RecordStore;
  /** The hotlist, when a backend is configured. */
  readonly hotlist: HotlistSync | undefined;
  /** Stop the runner, then release readers and store. Idempotent. */
  close(): Promise<void>;
}

/**
 * A gate from `config` (its `gate` section). Throws `AgentConfigError` without one; what opening
 * the store, the hotlist file or the upload key throws (nothing stays open then). Start it with
 * `agent.runner.start()`.
 */
export async function openGateAgent(config: AgentConfig, hooks: AgentHooks = {}): Promise<TerminalAgent<GateRunner>> {
  const gate = config.gate;
  if (gate === undefined) throw new AgentConfigError('config', ['gate: required to run a gate']);
  const fare = fareRuleOf(gate.fare);
  return assemble(config, hooks, (options) => new GateRunner({ ...options, fare }));
}

/** A POS from `config` (its `pos` section); throws as {@link openGateAgent}. */
export async function openPosAgent(config: AgentConfig, hooks: AgentHooks = {}): Promise<TerminalAgent<PosRunner>> {
  return assemble(config, hooks, (options) => new PosRunner({ ...options, maxAmount: config.pos.maxAmount }));
}

/** The reader roles of the configured names (substrings of the PC/SC reader names). */
export function readerRolesOf(config: Pick<AgentConfig, 'readers'>): ReaderRoleConfig {
  return {
    ...(config.readers.card === undefined ? {} : { card: [config.readers.card] }),
    ...(config.readers.sam === undefined ? {} : { sam: [config.readers.sam] }),
  };
}

/** What every mode of a terminal shares: store, hotlist, risk policy, background tasks, readers. */
export interface TerminalParts {
  readonly store: RecordStore;
  readonly hotlist: HotlistSync | undefined;
  readonly risk: RiskPolicy;
  /** Hotlist and upload, for the runner (or the kiosk) to start and stop. */
  readonly background: readonly BackgroundTask[];
  readonly readers: ReaderManager;
  /** Release the readers opened here, the hotlist and the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Open the parts of a terminal from `config`; see the module comment. Throws what opening the
 * store, the hotlist file, the upload key or pcscd's first connection throws (nothing stays open
 * then).
 */
export async function openTerminalParts(config: AgentConfig, hooks: AgentHooks = {}): Promise<TerminalParts> {
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const store = new RecordStore(path.join(config.dataDir, RECORDS_FILE));
    closers.push(() => store.close());
    const background: BackgroundTask[] = [];
    let hotlist: HotlistSync | undefined;
    const backend = config.backend;
    if (backend?.credential !== undefined && backend.hotlistKeys.length > 0) {
      const sync = new HotlistSync({
        baseUrl: backend.url,
        credential: backend.credential,
        trustedKeys: backend.hotlistKeys,
        store: path.join(config.dataDir, HOTLIST_FILE),
        pollIntervalMs: backend.hotlistPollMs,
        ...(hooks.clock === undefined ? {} : { now: hooks.clock }),
        ...(hooks.onHotlistEvent === undefined ? {} : { onEvent: hooks.onHotlistEvent }),
      });
      hotlist = sync;
      closers.push(() => sync.close());
      background.push(hotlistTask(sync));
    }
    if (backend?.credential !== undefined) background.push(uploaderTask(config, store, backend.credential, hooks));
    const risk = riskPolicyOf(config, hotlist ?? NO_HOTLIST, store);
    let readers = hooks.readers;
    if (readers === undefined) {
      const pcsc = new PcscReaderManager({ roles: readerRolesOf(config), ...(hooks.readerLogger === undefined ? {} : { logger: hooks.readerLogger }) });
      closers.push(() => pcsc.close());
      await pcsc.start();
      readers = pcsc;
    }
    let closing: Promise<void> | undefined;
    return { store, hotlist, risk, background, readers, close: () => (closing ??= closeAll()) };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function assemble<R extends GateRunner | PosRunner>(
  config: AgentConfig,
  hooks: AgentHooks,
  makeRunner: (options: RunnerOptions) => R,
): Promise<TerminalAgent<R>> {
  const parts = await openTerminalParts(config, hooks);
  let runner: R;
  try {
    runner = makeRunner({
      readers: parts.readers,
      store: parts.store,
      risk: parts.risk,
      hotlist: parts.hotlist ?? { version: 0, lastSyncAt: () => undefined },
      background: parts.background,
      clock: hooks.clock,
      timeZone: config.timeZone,
      recoveryWindowMs: config.recoveryWindowMs,
    });
  } catch (err) {
    await parts.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return { runner, store: parts.store, hotlist: parts.hotlist, close: () => (closing ??= runner.stop().then(() => parts.close())) };
}

const NO_HOTLIST: HotlistView = { has: () => false, lastSyncAt: () => undefined };

function riskPolicyOf(config: AgentConfig, hotlist: HotlistView, store: RecordStore): RiskPolicy {
  const { capPerCard, maxOfflineMs, whenStale, staleCapPerCard } = config.risk;
  return createOfflineRiskPolicy({
    hotlist,
    spend: store,
    capPerCard,
    stalePolicy: whenStale === 'allowUpToStaleCap' ? { maxOfflineMs, whenStale, staleCapPerCard } : { maxOfflineMs, whenStale },
  });
}

function uploaderTask(config: AgentConfig, store: RecordStore, credential: string, hooks: AgentHooks): BackgroundTask {
  const backendUrl = config.backend!.url;
  const key = loadOrCreateUploadKey(config.dataDir);
  const uploader = new BatchUploader({
    outbox: store,
    backendUrl,
    credential,
    privateKey: key.privateKey,
    maxBatchRecords: config.upload.batchSize,
    idleMs: config.upload.intervalMs,
    ...(hooks.clock === undefined ? {} : { clock: hooks.clock }),
    ...(hooks.onUploadEvent === undefined ? {} : { onEvent: hooks.onUploadEvent }),
  });
  return uploadTask(uploader, {
    prepare: async (signal) => {
      await registerUploadKey({ backendUrl, credential, privateKey: key.privateKey, signal });
    },
    restartMs: config.upload.intervalMs,
  });
}
