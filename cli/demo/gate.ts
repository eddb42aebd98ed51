/**
 * The demo's metro gate, put together from the terminal agent's own parts the way
 * `citycard agent run` puts a gate together (terminal-agent/src/agent/agentAssembly.ts), but on
 * the demo's two fixed vpcd slots instead of a reader manager, and with the hotlist and the
 * upload driven step by step so the demo can show each one:
 *
 * - its configuration file `<dir>/agent.json`, read by the agent's own loader (flat fare, the
 *   default risk rules, the pinned hotlist key; the credential comes as CITYCARD_TERMINAL_TOKEN);
 * - the record store `<dir>/records.sqlite`: tap intents, records, the upload outbox;
 * - the hotlist `<dir>/hotlist.sqlite`, kept by `HotlistSync` (a fetch, then the event stream);
 * - the offline risk policy over the hotlist and the store;
 * - each tap is `processTap` under the fare, with the PSAM opened once, as a gate keeps its SAM;
 * - the upload key `<dir>/upload-key.pem`, registered with the backend, and a `BatchUploader`
 *   drained on demand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { toHex } from '@citycard/protocols';
import {
  ApduChannel,
  BatchUploader,
  HOTLIST_FILE,
  HotlistSync,
  RECORDS_FILE,
  RecordStore,
  TERMINAL_TOKEN_ENV,
  createOfflineRiskPolicy,
  fareRuleOf,
  loadAgentConfig,
  loadOrCreateUploadKey,
  openPsamSlot,
  processTap,
  registerUploadKey,
  type AgentBackend,
  type AgentConfig,
  type CardTransport,
  type DrainReport,
  type FareRule,
  type HotlistUpdate,
  type RiskPolicy,
  type TapOutcome,
  type UploadKeyPair,
  type UploadKeyRegistration,
} from '@citycard/terminal-agent';
import { formatTapResult } from '../agent/agentFormat.js';

export const GATE_CONFIG_FILE = 'agent.json';

/** How long the demo lets one registration or drain take before it gives up, ms. */
const UPLOAD_TIMEOUT_MS = 15_000;

export interface DemoGateOptions {
  /** The gate's data directory (created if missing). */
  readonly dir: string;
  readonly backendUrl: string;
  /** `TERMINAL.SECRET` of the registered gate; its terminal number must be the PSAM's. */
  readonly credential: string;
  /** The backend's hotlist public key, 64 hex digits. */
  readonly hotlistKey: string;
  /** The flat fare, fen, 1 to 2^32-1. */
  readonly fare: number;
  /** The citizen card's slot (powered on at every tap, as a reader does when a card arrives). */
  readonly card: CardTransport;
  /** The PSAM's slot. */
  readonly psam: CardTransport;
}

/** The backend section of a gate's configuration, credential included. */
type GateBackend = AgentBackend & { readonly credential: string; readonly terminalNumber: string };

/** The newest hotlist update applied, filled in by the sync's events. */
interface LatestUpdate {
  update: HotlistUpdate | undefined;
}

export class DemoGate {
  readonly #fare: FareRule;
  readonly #risk: RiskPolicy;
  readonly #uploader: BatchUploader;
  readonly #timeZone: string;
  #closed = false;

  private constructor(
    readonly config: AgentConfig,
    private readonly backend: GateBackend,
    readonly store: RecordStore,
    readonly hotlist: HotlistSync,
    readonly uploadKey: UploadKeyPair & { readonly created: boolean },
    /** The PSAM's terminal number, as the SAM slot read it. */
    readonly terminal: Buffer,
    private readonly slots: Pick<DemoGateOptions, 'card' | 'psam'>,
    private readonly latest: LatestUpdate,
  ) {
    const { capPerCard, maxOfflineMs, whenStale, staleCapPerCard } = config.risk;
    // The same mapping as the agent's: the configured stale rule, with its cap only when it has one.
    this.#risk = createOfflineRiskPolicy({
      hotlist,
      spend: store,
      capPerCard,
      stalePolicy: whenStale === 'allowUpToStaleCap' ? { maxOfflineMs, whenStale, staleCapPerCard } : { maxOfflineMs, whenStale },
    });
    this.#fare = fareRuleOf(config.gate!.fare);
    this.#timeZone = config.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.#uploader = new BatchUploader({
      outbox: store,
      backendUrl: backend.url,
      credential: backend.credential,
      privateKey: uploadKey.privateKey,
      maxBatchRecords: config.upload.batchSize,
    });
  }

  /**
   * Write the configuration, open the store, the upload key and the PSAM, and follow the hotlist
   * (resolves once its first fetch is applied). Throws `AgentConfigError` for a bad
   * configuration, `Error` when the PSAM's terminal is not the credential's, and what opening the
   * store, the PSAM or the hotlist's first fetch throws; nothing stays open then.
   */
  static async open(options: DemoGateOptions): Promise<DemoGate> {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const configFile = path.join(options.dir, GATE_CONFIG_FILE);
    writeGateConfig(configFile, options);
    const config = loadAgentConfig(configFile, { env: { [TERMINAL_TOKEN_ENV]: options.credential } });
    // The file names a backend and the credential was given, so the loader filled in both.
    const backend = config.backend as GateBackend;
    const store = new RecordStore(path.join(config.dataDir, RECORDS_FILE));
    let hotlist: HotlistSync | undefined;
    try {
      const uploadKey = loadOrCreateUploadKey(config.dataDir);
      await options.psam.powerOn();
      const terminal = await openPsamSlot(new ApduChannel(options.psam));
      if (toHex(terminal) !== backend.terminalNumber) {
        throw new Error(`the PSAM is terminal ${toHex(terminal)}, the credential is terminal ${backend.terminalNumber}`);
      }
      const latest: LatestUpdate = { update: undefined };
      hotlist = await HotlistSync.follow({
        baseUrl: backend.url,
        credential: backend.credential,
        trustedKeys: backend.hotlistKeys,
        store: path.join(config.dataDir, HOTLIST_FILE),
        pollIntervalMs: backend.hotlistPollMs,
        onEvent: (event) => {
          if (event.type === 'updated') latest.update = event.update;
        },
      });
      return new DemoGate(config, backend, store, hotlist, uploadKey, terminal, options, latest);
    } catch (err) {
      hotlist?.close();
      store.close();
      throw err;
    }
  }

  /** The newest hotlist update the gate applied (its first fetch, then its stream). */
  get lastHotlistUpdate(): HotlistUpdate | undefined {
    return this.latest.update;
  }

  /**
   * One tap of the card in the card slot: `processTap` under the gate's fare and risk policy.
   * `hotlist: false` taps as a terminal that has no hotlist (no risk policy). Throws what
   * `processTap` throws (a failing PSAM or store, a card breaking the protocol).
   */
  async tap(options: { readonly hotlist?: boolean } = {}): Promise<TapOutcome> {
    await this.slots.card.powerOn();
    const clock = (): Date => new Date();
    return processTap(
      {
        card: new ApduChannel(this.slots.card, { clock }),
        psam: new ApduChannel(this.slots.psam, { clock }),
        psamTerminal: this.terminal,
        store: this.store,
        risk: options.hotlist === false ? undefined : this.#risk,
        clock,
        timeZone: this.#timeZone,
        recoveryWindowMs: this.config.recoveryWindowMs,
      },
      this.#fare,
    );
  }

  /** Register the upload key with the backend (safe to repeat). Throws as `registerUploadKey`, or a `TimeoutError`. */
  registerUploadKey(): Promise<UploadKeyRegistration> {
    return registerUploadKey({
      backendUrl: this.backend.url,
      credential: this.backend.credential,
      privateKey: this.uploadKey.privateKey,
      signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
    });
  }

  /** Upload every stored record not yet acknowledged. Throws as `BatchUploader.drain`, or a `TimeoutError`. */
  drain(): Promise<DrainReport> {
    return this.#uploader.drain(AbortSignal.timeout(UPLOAD_TIMEOUT_MS));
  }

  /** Stop following the hotlist and close its file and the store. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.hotlist.close();
    this.store.close();
  }
}

/** The line the gate's screen shows for `outcome`, as `citycard agent run` prints it. */
export function gateLine(outcome: TapOutcome): string {
  return formatTapResult({ kind: 'outcome', outcome, balance: 'balanceAfter' in outcome ? outcome.balanceAfter : undefined });
}

/** The gate's configuration file, as an operator would provision it (no secret in it). */
function writeGateConfig(file: string, options: Pick<DemoGateOptions, 'backendUrl' | 'hotlistKey' | 'fare'>): void {
  const config = {
    mode: 'gate',
    dataDir: '.',
    backend: { url: options.backendUrl, hotlistKeys: [options.hotlistKey] },
    gate: { fare: { kind: 'flat', amount: options.fare } },
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
