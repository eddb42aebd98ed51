/**
 * The reader manager of a terminal on the PC/SC stack. It follows pcscd's readers as they come and
 * go (hot-plug), turns each reader's state changes into card insertions and removals, and when
 * pcscd itself goes away (stopped, restarted, crashed) it reports every reader gone, reconnects
 * with exponential backoff and announces the readers again once pcscd is back, all without the
 * agent restarting.
 *
 * With vpcd the readers come from pcscd's configuration and stay while pcscd runs, card or no
 * card; a virtual reader vanishes only with pcscd, so "unplug and replug" there is a pcscd restart.
 */
import { PcscAdapter } from '../transport/pcscAdapter.js';
import { PcscContext } from '../transport/pcscContext.js';
import { cardEventCount, isCardPresent, isCardUsable, type PcscReaderStatus } from '../transport/pcscState.js';
import { TransportError } from '../errors.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { ReaderLogger } from './readerManager.js';
import type { ReaderRoleConfig } from './readerRoles.js';
import { ReaderRegistry } from './readerRegistry.js';

export interface PcscReaderManagerOptions {
  /** Role assignment (default: by ATR, probing CityCard ATRs for the PSAM application). */
  readonly roles?: ReaderRoleConfig;
  /** Delays between attempts to reach pcscd (default 250 ms doubling up to 5 s). */
  readonly reconnect?: BackoffOptions;
  /**
   * How long to wait for pcscd's first reader list on each connection, ms (default 1000). pcscd
   * never reports "no readers", so with none this is what `start()` takes.
   */
  readonly discoveryTimeoutMs?: number;
  /** Passed to each reader's `PcscAdapter` (how long a broken exchange waits for a removal report). */
  readonly removalConfirmMs?: number;
  readonly logger?: ReaderLogger;
}

export class PcscReaderManager extends ReaderRegistry {
  readonly #backoff: Backoff;
  readonly #discoveryMs: number;
  readonly #removalConfirmMs: number | undefined;
  /** The live connection to pcscd; undefined while pcscd is away. */
  #context: PcscContext | undefined;
  readonly #adapters = new Map<string, PcscAdapter>();
  /** Readers being opened, by name. */
  readonly #setups = new Map<string, Promise<void>>();
  /** Releases of a dead connection's adapters and context. */
  readonly #cleanups = new Set<Promise<void>>();
  #connecting: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #started = false;
  #closing: Promise<void> | undefined;

  /** Throws `RangeError` for bad backoff delays. Nothing happens until `start()`. */
  constructor(options: PcscReaderManagerOptions = {}) {
    super(options);
    this.#backoff = new Backoff(options.reconnect);
    this.#discoveryMs = options.discoveryTimeoutMs ?? 1000;
    this.#removalConfirmMs = options.removalConfirmMs;
  }

  /** Whether the manager is connected to pcscd now. */
  get serviceUp(): boolean {
    return this.#context !== undefined;
  }

  /**
   * Connect to pcscd and announce its readers and the cards in them; resolves once they are
   * announced (attach listeners before). If pcscd cannot be reached it resolves all the same, with
   * `serviceUp` false, and keeps trying in the background. Throws `TransportError` if called twice
   * or after `close()`.
   */
  async start(): Promise<void> {
    if (this.closed) throw new TransportError('the reader manager is closed');
    if (this.#started) throw new TransportError('the reader manager is already started');
    this.#started = true;
    this.#connecting = this.#connect();
    await this.#connecting;
  }

  /**
   * Stop watching pcscd, release every reader and the connection; pending `waitForCard` calls
   * reject. Waits for exchanges in flight to end. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    clearTimeout(this.#retryTimer);
    this.closeRegistry();
    await this.#connecting;
    await Promise.all(this.#setups.values());
    const adapters = [...this.#adapters.values()];
    this.#adapters.clear();
    await Promise.allSettled(adapters.map((adapter) => adapter.close()));
    await Promise.all(this.#cleanups);
    const context = this.#context;
    this.#context = undefined;
    await context?.close();
  }

  async #connect(): Promise<void> {
    this.#retryTimer = undefined;
    let context: PcscContext;
    try {
      context = await PcscContext.open();
    } catch (err) {
      this.#retryLater(err);
      return;
    }
    if (this.closed) {
      await context.close();
      return;
    }
    this.#context = context;
    context.on('reader', (name) => this.#onReader(context, name));
    context.on('status', (name, status) => this.#onStatus(context, name, status));
    context.on('readerGone', (name) => this.#onReaderGone(context, name));
    context.on('failed', (err) => this.#onFailed(context, err));
    const listed = await context.listReaders(this.#discoveryMs).catch(() => []);
    // A listed reader is announced once its first state is known, so start() can promise it.
    await Promise.all(
      listed.map((name) =>
        context.waitForReader(name, this.#discoveryMs).then(
          () => this.#onReader(context, name),
          () => {},
        ),
      ),
    );
    if (this.#context !== context) return;
    await Promise.all(this.#setups.values());
    this.#backoff.reset();
    this.logger?.info({ readers: context.readerNames }, 'connected to pcscd');
  }

  #retryLater(err: unknown): void {
    if (this.closed) return;
    const delayMs = this.#backoff.next();
    this.logger?.warn({ err, delayMs }, 'pcscd is not reachable; retrying');
    this.#retryTimer = setTimeout(() => {
      this.#connecting = this.#connect();
    }, delayMs);
  }

  #onReader(context: PcscContext, name: string): void {
    if (context !== this.#context || this.closed || this.isTracked(name) || this.#setups.has(name)) return;
    const setup = this.#openReader(context, name).finally(() => this.#setups.delete(name));
    this.#setups.set(name, setup);
  }

  async #openReader(context: PcscContext, name: string): Promise<void> {
    let adapter: PcscAdapter;
    try {
      const options = this.#removalConfirmMs === undefined ? {} : { removalConfirmMs: this.#removalConfirmMs };
      adapter = await PcscAdapter.open(name, { ...options, context, readerTimeoutMs: this.#discoveryMs });
    } catch (err) {
      this.logger?.debug({ reader: name, err }, 'reader could not be opened; it probably vanished');
      return;
    }
    const status = context.status(name);
    if (context !== this.#context || this.closed || status === undefined) {
      await adapter.close();
      return;
    }
    this.#adapters.set(name, adapter);
    const card = isCardUsable(status) ? { atr: Buffer.from(status.atr), key: cardEventCount(status) } : undefined;
    await this.trackReader(name, adapter, card).catch((err: unknown) => {
      this.logger?.warn({ reader: name, err }, 'reader could not be tracked');
    });
  }

  #onStatus(context: PcscContext, name: string, status: PcscReaderStatus): void {
    if (context !== this.#context || !this.isTracked(name)) return;
    const key = cardEventCount(status);
    if (isCardUsable(status)) {
      this.cardPresent(name, { atr: Buffer.from(status.atr), key }).catch((err: unknown) => {
        this.logger?.warn({ reader: name, err }, 'card could not be announced');
      });
      return;
    }
    // Present but not answering yet: only a new event count says the announced card left.
    const announced = this.cardKey(name);
    if (!isCardPresent(status) || (announced !== undefined && announced !== key)) this.cardAbsent(name);
  }

  #onReaderGone(context: PcscContext, name: string): void {
    if (context !== this.#context) return;
    this.untrackReader(name);
    const adapter = this.#adapters.get(name);
    this.#adapters.delete(name);
    if (adapter !== undefined) this.#track(releaseLater(adapter));
  }

  #onFailed(context: PcscContext, err: Error): void {
    if (context !== this.#context) return;
    this.#context = undefined;
    // pcscd reported each reader gone before this; a reader still being opened is dropped too.
    for (const name of this.trackedReaders()) this.untrackReader(name);
    const adapters = [...this.#adapters.values()];
    this.#adapters.clear();
    this.logger?.warn({ err }, 'pcscd went away; reconnecting');
    this.#track(
      (async () => {
        await Promise.all(this.#setups.values());
        await Promise.all(adapters.map(releaseLater));
        await context.close();
      })(),
    );
    this.#retryLater(err);
  }

  #track(cleanup: Promise<void>): void {
    const tracked = cleanup
      .catch((err: unknown) => this.logger?.warn({ err }, 'releasing a reader failed'))
      .finally(() => this.#cleanups.delete(tracked));
    this.#cleanups.add(tracked);
  }
}

/** Close an adapter once the current binding callback has returned (the binding must not be re-entered from it). */
function releaseLater(adapter: PcscAdapter): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve)).then(() => adapter.close());
}
