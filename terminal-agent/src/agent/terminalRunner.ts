/**
 * What the gate and POS runners share: the SAM slot, the tap settings, the counters, the
 * background tasks started and stopped with the runner, the status snapshot, and a graceful
 * stop that lets a tap in flight finish (the store is closed by whoever opened it, after `stop()`).
 */
import { EventEmitter } from 'node:events';
import type { CardSlot, ReaderManager } from '../readers/readerManager.js';
import type { RecordStore } from '../store/recordStore.js';
import type { TapStore } from '../tap/tapContext.js';
import type { TapRiskPolicy } from '../tap/tapRisk.js';
import type { AgentStatus, RunnerEvents, RunnerState, TapReport } from './agentEvents.js';
import type { BackgroundTask } from './backgroundTasks.js';
import { SamSlot } from './samSlot.js';
import type { TapSettings } from './serveTap.js';
import { TapCounters } from './tapCounters.js';

/** What a runner needs of the reader manager. */
export type RunnerReaders = Pick<ReaderManager, 'waitForCard' | 'samTransport' | 'on' | 'off'>;

/** The hotlist as the status line shows it (`HotlistSync` fits). */
export interface HotlistInfo {
  readonly version: number;
  lastSyncAt(): Date | undefined;
}

export interface RunnerOptions {
  readonly readers: RunnerReaders;
  /** The durable store (a `RecordStore` fits); the runner never closes it. */
  readonly store: TapStore & Pick<RecordStore, 'uploadBacklog'>;
  /** Consulted before every debit; default: allow all. */
  readonly risk?: TapRiskPolicy | undefined;
  readonly hotlist?: HotlistInfo | undefined;
  /** Started by `start()`, stopped by `stop()`. */
  readonly background?: readonly BackgroundTask[] | undefined;
  /** Default: the system clock. */
  readonly clock?: (() => Date) | undefined;
  /** IANA zone of card dates and fares; default the process's zone. */
  readonly timeZone?: string | undefined;
  /** See `TapContext.recoveryWindowMs`. */
  readonly recoveryWindowMs?: number | undefined;
  /** Retry period of a SAM that fails to open, ms; default 2,000. */
  readonly samRetryMs?: number | undefined;
}

export abstract class TerminalRunner extends EventEmitter<RunnerEvents> {
  protected readonly readers: RunnerReaders;
  protected readonly sam: SamSlot;
  protected readonly settings: TapSettings;
  /** Aborted by `stop()`: every wait of the runner ends. */
  protected readonly stopping = new AbortController();
  readonly #options: RunnerOptions;
  readonly #counters = new TapCounters();
  readonly #mode: AgentStatus['mode'];
  #state: RunnerState = 'starting';
  #started = false;
  #stopped: Promise<void> | undefined;

  protected constructor(mode: AgentStatus['mode'], options: RunnerOptions) {
    super();
    this.#mode = mode;
    this.#options = options;
    this.readers = options.readers;
    const clock = options.clock ?? (() => new Date());
    this.settings = {
      store: options.store,
      risk: options.risk,
      clock,
      timeZone: options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      recoveryWindowMs: options.recoveryWindowMs,
    };
    this.sam = new SamSlot(options.readers, { clock, onFault: (err) => this.fault(err), retryMs: options.samRetryMs });
  }

  get state(): RunnerState {
    return this.#state;
  }

  /** Start the background tasks and the loop. Idempotent; throws `Error` after `stop()`. */
  start(): void {
    if (this.stopping.signal.aborted) throw new Error('the runner was stopped; make a new one');
    if (this.#started) return;
    this.#started = true;
    for (const task of this.#options.background ?? []) task.start((err) => this.fault(err));
    this.run();
  }

  /**
   * Stop: waits end, a tap in flight finishes and is reported, then the background tasks stop.
   * Idempotent; resolves when all of it is done.
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.setState('stopping');
      this.stopping.abort(new Error('the runner is stopping'));
      await this.drain();
      await Promise.allSettled((this.#options.background ?? []).map((task) => task.stop()));
      this.setState('stopped');
    })();
    return this.#stopped;
  }

  /** A snapshot for the status line. */
  status(): AgentStatus {
    const hotlist = this.#options.hotlist;
    return {
      mode: this.#mode,
      state: this.#state,
      terminal: this.sam.terminal,
      hotlist: hotlist === undefined ? undefined : { version: hotlist.version, lastSyncAt: hotlist.lastSyncAt() },
      uploadBacklog: this.#options.store.uploadBacklog(),
      counts: this.#counters.snapshot(),
    };
  }

  /** Start the mode's own work (called once by `start()`). */
  protected abstract run(): void;

  /** Resolves when the mode's own work has ended after `stopping` aborted. */
  protected abstract drain(): Promise<void>;

  protected setState(state: RunnerState): void {
    if (this.#state === state || this.#state === 'stopped') return;
    if (this.#state === 'stopping' && state !== 'stopped') return;
    this.#state = state;
    this.emit('state', state);
  }

  /** Open the SAM if needed, telling the screen while it waits. */
  protected async samReady(signal: AbortSignal): Promise<void> {
    if (this.sam.isOpen) return;
    this.setState('waitingForSam');
    await this.sam.ready(signal);
    this.emit('ready', this.sam.terminal!);
  }

  protected report(report: TapReport): void {
    this.#counters.add(report.result);
    this.emit('tap', report);
  }

  protected fault(error: Error): void {
    this.emit('fault', error);
  }

  /**
   * Resolves when the card of `slot` has left its reader, or at once when `signal` aborts. The
   * reader manager hands out each insertion once, so this only paces the screen.
   */
  protected waitForRemoval(slot: CardSlot, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        this.readers.off('cardRemoved', onRemoved);
        signal.removeEventListener('abort', finish);
        resolve();
      };
      const onRemoved = (reader: string): void => {
        if (reader === slot.reader) finish();
      };
      this.readers.on('cardRemoved', onRemoved);
      signal.addEventListener('abort', finish, { once: true });
      if (signal.aborted) return finish();
      slot.transport.isPresent().then(
        (present) => {
          if (!present) finish();
        },
        () => finish(),
      );
    });
  }
}
