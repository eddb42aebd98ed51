/**
 * The terminal's hotlist, kept current from the backend and enforced from memory:
 *
 * 1. At construction the list stored on disk is loaded, so a terminal restarted offline refuses
 *    the cards of the last list it verified, at once.
 * 2. `syncNow()` fetches the signed update since the local version (a delta, or a snapshot when
 *    the backend answers with one) and applies it after checking its Ed25519 signature against
 *    the trusted keys.
 * 3. `start()` follows the server-sent-events stream for instant pushes, reconnecting with
 *    exponential backoff when it drops or goes silent, and polls `syncNow()` every
 *    `pollIntervalMs` as a fallback and as signed proof of being current on a quiet stream.
 *
 * `lastSyncAt()` is when the terminal last knew it held the backend's current list: the signed
 * issue time of the last message that brought it to the backend's version, never later than the
 * local clock. Signed time (not arrival time) means a replayed old "you are current" message
 * cannot make a cut-off terminal look fresh.
 */
import type { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type HotlistMessage, type HotlistState, applyHotlistMessage } from '@citycard/protocols';
import {
  HotlistClosedError,
  HotlistRejectedError,
  HotlistStreamError,
  HotlistSyncError,
  HotlistWaitTimeoutError,
} from './hotlistErrors.js';
import { type HotlistEndpoint, fetchHotlistUpdate, openHotlistStream } from './hotlistHttp.js';
import { HotlistStore } from './hotlistStore.js';
import { SseParser } from './sseParser.js';
import { type TrustedKeyInput, trustedKeys, verifyWithTrustedKeys } from './trustedKeys.js';

export interface HotlistSyncOptions extends HotlistEndpoint {
  /** The backend's hotlist public keys (at least one); see {@link TrustedKeyInput}. */
  readonly trustedKeys: readonly TrustedKeyInput[];
  /** A file path (e.g. `<dataDir>/hotlist.sqlite`, opened and closed by the sync) or a store the caller owns. */
  readonly store: string | HotlistStore;
  /** Fallback poll period, ms; default 60,000; 0 turns polling off. */
  readonly pollIntervalMs?: number;
  /** Follow the event stream (default true); false: poll only. */
  readonly stream?: boolean;
  /**
   * Backoff between stream reconnections: initial (default 1,000 ms), doubled per failure up to
   * max (default 60,000 ms), each wait drawn in [half, whole] of that so terminals cut off together
   * do not reconnect together. Reset once a stream delivered its catch-up frame.
   */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Time allowed for a fetch, and for the stream's first answer; default 10,000 ms. */
  readonly requestTimeoutMs?: number;
  /** A stream with no byte (not even a keepalive) for this long is dropped and reopened; default 45,000 ms. */
  readonly streamIdleMs?: number;
  /** The terminal's clock; default the system clock. */
  readonly now?: () => Date;
  /** Source of jitter in [0, 1); default Math.random. */
  readonly random?: () => number;
  /** Everything that happens in the background (for logs and the status page). Must not throw. */
  readonly onEvent?: (event: HotlistSyncEvent) => void;
}

/** What one accepted message did. */
export interface HotlistUpdate {
  readonly source: 'fetch' | 'stream';
  readonly kind: 'delta' | 'snapshot';
  readonly fromVersion: number;
  readonly version: number;
  /** Cards on the list afterwards. */
  readonly size: number;
  readonly lastSyncAt: Date | undefined;
}

export type HotlistSyncEvent =
  | { readonly type: 'updated'; readonly update: HotlistUpdate }
  | { readonly type: 'streamOpen' }
  | { readonly type: 'streamClosed'; readonly error: HotlistSyncError; readonly retryInMs: number }
  | { readonly type: 'syncFailed'; readonly error: HotlistSyncError };

const DEFAULTS = {
  pollIntervalMs: 60_000,
  reconnectInitialMs: 1_000,
  reconnectMaxMs: 60_000,
  requestTimeoutMs: 10_000,
  streamIdleMs: 45_000,
} as const;

export class HotlistSync {
  readonly #options: HotlistSyncOptions;
  readonly #endpoint: HotlistEndpoint;
  readonly #store: HotlistStore;
  readonly #ownsStore: boolean;
  readonly #now: () => Date;
  readonly #abort = new AbortController();
  readonly #waiters = new Set<() => void>();
  #keys: readonly KeyObject[];
  #state: HotlistState;
  #lastSyncAt: Date | undefined;
  #inFlight: Promise<HotlistUpdate> | undefined;
  #started = false;
  #streamConnected = false;

  /**
   * Load the stored list; no network until `syncNow()` or `start()`. Throws `RangeError` /
   * `TypeError` for bad keys or options, `HotlistStoreError` for an unusable file.
   */
  constructor(options: HotlistSyncOptions) {
    checkDurations(options);
    this.#options = options;
    this.#endpoint = { baseUrl: options.baseUrl, credential: options.credential };
    this.#keys = trustedKeys(options.trustedKeys);
    this.#now = options.now ?? (() => new Date());
    this.#ownsStore = typeof options.store === 'string';
    this.#store = typeof options.store === 'string' ? new HotlistStore(options.store) : options.store;
    try {
      const persisted = this.#store.load();
      this.#state = persisted.state;
      this.#lastSyncAt = persisted.lastSyncAt;
    } catch (err) {
      if (this.#ownsStore) this.#store.close();
      throw err;
    }
  }

  /** Construct, fetch once (throws as `syncNow`, closing again), then `start()`: the shape of the demo's former follower. */
  static async follow(options: HotlistSyncOptions): Promise<HotlistSync> {
    const sync = new HotlistSync(options);
    try {
      await sync.syncNow();
    } catch (err) {
      sync.close();
      throw err;
    }
    sync.start();
    return sync;
  }

  /** Whether the card is on the local list (memory only). */
  has(cardNumber: string): boolean {
    return this.#state.cards.has(cardNumber);
  }

  /** The local list's version, 0 before the first sync. */
  get version(): number {
    return this.#state.version;
  }

  /** Cards on the local list. */
  get size(): number {
    return this.#state.cards.size;
  }

  /** When the terminal last knew its list was the backend's current one; undefined if never. */
  lastSyncAt(): Date | undefined {
    return this.#lastSyncAt;
  }

  /** Whether the event stream is open now. */
  get streamConnected(): boolean {
    return this.#streamConnected;
  }

  /**
   * Replace the trusted keys (a configuration change during a key rotation). The stored list
   * stays: it was verified when it arrived. Throws as the constructor for bad keys.
   */
  setTrustedKeys(keys: readonly TrustedKeyInput[]): void {
    this.#keys = trustedKeys(keys);
  }

  /**
   * Fetch and apply the signed update since the local version; concurrent calls share one
   * request. Throws `HotlistFetchError` (unreachable, timeout, HTTP status), `HotlistRejectedError`
   * (signature, format, sequence: the list is unchanged), `HotlistStoreError`, `HotlistClosedError`.
   */
  syncNow(): Promise<HotlistUpdate> {
    if (this.#abort.signal.aborted) return Promise.reject(new HotlistClosedError('the hotlist sync is closed'));
    this.#inFlight ??= (async () => {
      try {
        const bytes = await fetchHotlistUpdate(this.#endpoint, this.#state.version, this.#timeout('requestTimeoutMs'), this.#abort.signal);
        return this.#accept(bytes, 'fetch');
      } catch (err) {
        if (this.#abort.signal.aborted && !(err instanceof HotlistClosedError)) throw new HotlistClosedError('the hotlist sync is closed', { cause: err });
        throw err;
      } finally {
        this.#inFlight = undefined;
      }
    })();
    return this.#inFlight;
  }

  /** Follow the stream and poll in the background until `close()`. Idempotent; failures go to `onEvent`. */
  start(): void {
    if (this.#started || this.#abort.signal.aborted) return;
    this.#started = true;
    const streaming = this.#options.stream ?? true;
    if (streaming) void this.#streamLoop();
    void this.#pollLoop(!streaming);
  }

  /** Resolves when the card is on the list. Throws `HotlistWaitTimeoutError` after `timeoutMs`, `HotlistClosedError` on close. */
  waitFor(cardNumber: string, timeoutMs = 5000): Promise<void> {
    return this.#waitUntil(() => this.has(cardNumber), timeoutMs, `card ${cardNumber} did not reach the hotlist`);
  }

  /** Resolves when the local version is at least `version`. Throws as `waitFor`. */
  waitForVersion(version: number, timeoutMs = 5000): Promise<void> {
    return this.#waitUntil(() => this.#state.version >= version, timeoutMs, `the hotlist did not reach version ${version}`);
  }

  /** Stop the stream, polls and waits, and close the file if the sync opened it. Idempotent. */
  close(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort(new HotlistClosedError('the hotlist sync is closed'));
    this.#streamConnected = false;
    for (const wake of this.#waiters) wake();
    if (this.#ownsStore) this.#store.close();
  }

  /** Verify, fit to the local version, persist, then swap the in-memory list. Synchronous. */
  #accept(bytes: Uint8Array, source: HotlistUpdate['source']): HotlistUpdate {
    if (this.#abort.signal.aborted) throw new HotlistClosedError('the hotlist sync is closed');
    const message = verifyWithTrustedKeys(bytes, this.#keys);
    const before = this.#state;
    const fitted = fitToVersion(message, before.version);
    if (fitted === undefined) return this.#update(source, message.kind, before.version);
    let next: HotlistState;
    try {
      next = applyHotlistMessage(before, fitted);
    } catch (err) {
      throw new HotlistRejectedError('MALFORMED', `the hotlist message does not apply: ${(err as Error).message}`, { cause: err });
    }
    const lastSyncAt = this.#freshness(message.issuedAt);
    this.#store.apply(fitted, lastSyncAt);
    this.#state = next;
    this.#lastSyncAt = lastSyncAt;
    for (const wake of this.#waiters) wake();
    const update = this.#update(source, message.kind, before.version);
    this.#emit({ type: 'updated', update });
    return update;
  }

  #update(source: HotlistUpdate['source'], kind: HotlistUpdate['kind'], fromVersion: number): HotlistUpdate {
    return { source, kind, fromVersion, version: this.#state.version, size: this.#state.cards.size, lastSyncAt: this.#lastSyncAt };
  }

  /** The message's signed issue time, capped at the local clock, never moving back. */
  #freshness(issuedAt: Date): Date {
    const now = this.#now();
    const at = issuedAt.getTime() > now.getTime() ? now : issuedAt;
    return this.#lastSyncAt !== undefined && this.#lastSyncAt.getTime() > at.getTime() ? this.#lastSyncAt : at;
  }

  async #streamLoop(): Promise<void> {
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      const attempt = new AbortController();
      const stop = () => attempt.abort();
      this.#abort.signal.addEventListener('abort', stop, { once: true });
      let error: HotlistSyncError;
      try {
        await this.#followOnce(attempt, () => { failures = 0; });
        error = new HotlistStreamError('the backend ended the hotlist stream');
      } catch (err) {
        error = err instanceof HotlistSyncError ? err : new HotlistStreamError(`the hotlist stream failed: ${(err as Error).message}`, { cause: err });
      } finally {
        this.#abort.signal.removeEventListener('abort', stop);
        attempt.abort();
        this.#streamConnected = false;
      }
      if (this.#abort.signal.aborted) return;
      const retryInMs = this.#backoff(failures++);
      this.#emit({ type: 'streamClosed', error, retryInMs });
      try {
        await sleep(retryInMs, undefined, { signal: this.#abort.signal });
      } catch {
        return;
      }
    }
  }

  /** One stream connection, until it ends or fails. `onCaughtUp` runs after its first frame applied. */
  async #followOnce(attempt: AbortController, onCaughtUp: () => void): Promise<void> {
    const body = await openHotlistStream(this.#endpoint, this.#state.version, this.#timeout('requestTimeoutMs'), attempt.signal);
    this.#streamConnected = true;
    this.#emit({ type: 'streamOpen' });
    const idleMs = this.#timeout('streamIdleMs');
    let idle = setTimeout(() => attempt.abort(), idleMs);
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let caughtUp = false;
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (this.#abort.signal.aborted) throw new HotlistClosedError('the hotlist sync is closed', { cause: err });
          if (attempt.signal.aborted) throw new HotlistStreamError(`the hotlist stream was silent for ${idleMs} ms`, { cause: err });
          throw new HotlistStreamError(`the hotlist stream broke: ${(err as Error).message}`, { cause: err });
        }
        if (chunk.done) return;
        clearTimeout(idle);
        idle = setTimeout(() => attempt.abort(), idleMs);
        for (const event of parser.push(decoder.decode(chunk.value, { stream: true }))) {
          if (event.event !== 'hotlist') continue;
          this.#acceptPush(Buffer.from(event.data, 'base64'));
          if (!caughtUp) {
            caughtUp = true;
            onCaughtUp();
          }
        }
      }
    } finally {
      clearTimeout(idle);
      // Cancelling releases the connection; it rejects when the stream already failed.
      reader.cancel().catch(() => undefined);
    }
  }

  /**
   * A push that starts past the local version means one was missed: fetch the gap and keep the
   * stream. Any other refusal throws, which drops the stream (a corrupted or foreign stream).
   */
  #acceptPush(bytes: Buffer): void {
    try {
      this.#accept(bytes, 'stream');
    } catch (err) {
      if (err instanceof HotlistRejectedError && err.reason === 'BASE_VERSION_MISMATCH') {
        this.syncNow().catch((e: unknown) => this.#failed(e));
        return;
      }
      throw err;
    }
  }

  async #pollLoop(immediately: boolean): Promise<void> {
    const interval = this.#options.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
    if (interval === 0) return;
    let first = immediately;
    while (!this.#abort.signal.aborted) {
      if (!first) {
        try {
          await sleep(interval, undefined, { signal: this.#abort.signal });
        } catch {
          return;
        }
      }
      first = false;
      await this.syncNow().catch((err: unknown) => this.#failed(err));
    }
  }

  #failed(err: unknown): void {
    if (this.#abort.signal.aborted) return;
    const error = err instanceof HotlistSyncError ? err : new HotlistSyncError(`hotlist sync failed: ${(err as Error).message}`, { cause: err });
    this.#emit({ type: 'syncFailed', error });
  }

  #backoff(failures: number): number {
    const initial = this.#options.reconnect?.initialMs ?? DEFAULTS.reconnectInitialMs;
    const max = this.#options.reconnect?.maxMs ?? DEFAULTS.reconnectMaxMs;
    const ceiling = Math.min(max, initial * 2 ** Math.min(failures, 30));
    // Jitter in [ceiling/2, ceiling) so terminals cut off together do not reconnect together.
    return Math.round(ceiling / 2 + (this.#options.random ?? Math.random)() * (ceiling / 2));
  }

  #timeout(name: 'requestTimeoutMs' | 'streamIdleMs'): number {
    return this.#options[name] ?? DEFAULTS[name];
  }

  #emit(event: HotlistSyncEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // An observer's bug must not undo or misreport an update that is already applied.
    }
  }

  #waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#abort.signal.aborted) finish(new HotlistClosedError('the hotlist sync is closed'));
        else if (done()) finish(undefined);
      };
      const timer = setTimeout(() => finish(new HotlistWaitTimeoutError(`${what} within ${timeoutMs} ms`)), timeoutMs);
      const finish = (err: HotlistSyncError | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (err === undefined) resolve();
        else reject(err);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

/**
 * The part of a verified message that applies on top of `version`: a delta is cut to the
 * entries after it (a push or fetch that overlaps one already applied); undefined when it brings
 * nothing new (an old delta). Throws `HotlistRejectedError` `BASE_VERSION_MISMATCH` for a delta
 * that starts after `version` (a gap), `VERSION_REGRESSION` for an older snapshot.
 */
function fitToVersion(message: HotlistMessage, version: number): HotlistMessage | undefined {
  if (message.kind === 'snapshot') {
    if (message.version < version) throw new HotlistRejectedError('VERSION_REGRESSION', `snapshot version ${message.version} is older than the local version ${version}`);
    return message;
  }
  if (message.baseVersion > version) throw new HotlistRejectedError('BASE_VERSION_MISMATCH', `delta starts at version ${message.baseVersion}, the local list is at ${version}`);
  if (message.version < version) return undefined;
  if (message.baseVersion === version) return message;
  return { ...message, baseVersion: version, entries: message.entries.filter((e) => e.version > version) };
}

/** Throws `RangeError` for a duration that is not finite, a poll period below 0, or another one not above 0. */
function checkDurations(options: HotlistSyncOptions): void {
  const positive = {
    requestTimeoutMs: options.requestTimeoutMs,
    streamIdleMs: options.streamIdleMs,
    'reconnect.initialMs': options.reconnect?.initialMs,
    'reconnect.maxMs': options.reconnect?.maxMs,
  };
  for (const [name, value] of Object.entries(positive)) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a finite number of ms above 0, got ${value}`);
  }
  const poll = options.pollIntervalMs;
  if (poll !== undefined && !(Number.isFinite(poll) && poll >= 0)) throw new RangeError(`pollIntervalMs must be a finite number of ms >= 0, got ${poll}`);
}
