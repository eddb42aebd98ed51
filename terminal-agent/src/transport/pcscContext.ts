/**
 * One connection to pcscd and the readers it reports, with the last state of each. Adapters for
 * several slots (card and PSAM) can share one context; the reader manager (readers/) listens to
 * its `reader` / `readerGone` events for hot-plug and to `failed` to reconnect after pcscd restarts.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import pcsclite, { type CardReader, type PCSCLite } from '@pokusew/pcsclite';
import { ReaderGoneError, TransportError } from '../errors.js';
import type { PcscReaderStatus } from './pcscState.js';

/** libpcsclite's default socket; `PCSCLITE_CSOCK_NAME` overrides it, as for libpcsclite itself. */
const DEFAULT_PCSCD_SOCKET = '/run/pcscd/pcscd.comm';

export interface PcscContextEvents {
  /** A reader appeared and its first state is known. */
  reader: [name: string];
  /** A reader disappeared, or pcscd did. */
  readerGone: [name: string];
  /** A reader's state changed. */
  status: [name: string, status: PcscReaderStatus];
  /**
   * pcscd went away (stopped, restarted, crashed): emitted once, after `readerGone` for every
   * reader still known. The context is dead from then on; open a new one when pcscd is back.
   */
  failed: [error: Error];
}

interface TrackedReader {
  readonly reader: CardReader;
  status: PcscReaderStatus | undefined;
}

/** Lifecycle of one reader object's native watcher thread. */
interface ReaderWatch {
  /** The thread reported once, so it is inside its loop and a close() reaches it. */
  readonly started: Promise<void>;
  /** The thread exited and the binding released its handle. */
  readonly ended: Promise<void>;
}

/** Upper bound for each step of close(); pcscd answers in milliseconds. */
const SETTLE_MS = 1000;

/** Resolves when `promise` does or after `ms`, whichever is first. */
async function settle(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Let the current native callback return before touching the binding again. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The socket path libpcsclite will use in this process. */
export function pcscdSocketPath(): string {
  return process.env['PCSCLITE_CSOCK_NAME'] ?? DEFAULT_PCSCD_SOCKET;
}

/**
 * Resolves if pcscd accepts connections on its socket; else throws `TransportError`. Needed
 * because the binding spins for ever when it cannot reach pcscd.
 */
export async function assertPcscdReachable(socketPath: string = pcscdSocketPath()): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve();
    });
    probe.once('error', (err) => reject(new TransportError(`pcscd is not reachable at ${socketPath}`, { cause: err })));
  });
}

export class PcscContext extends EventEmitter<PcscContextEvents> {
  readonly #lite: PCSCLite;
  readonly #readers = new Map<string, TrackedReader>();
  /** Every reader object the binding created, gone or not: each owns a thread until closed. */
  readonly #bindingReaders = new Map<CardReader, ReaderWatch>();
  /** Reader objects in use by an adapter. */
  readonly #claimed = new Set<CardReader>();
  /** Pending waits, re-checked on every change. */
  readonly #wakers = new Set<() => void>();
  #failure: Error | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Resolves once the binding delivered its first reader list (it never reports an empty one). */
  readonly #firstList: Promise<void>;

  private constructor(lite: PCSCLite) {
    super();
    this.#lite = lite;
    lite.on('error', (err) => this.#onServiceError(err));
    lite.on('reader', (reader) => this.#track(reader));
    // The binding emits one 'reader' per reader of a list synchronously: the whole list is in once this runs.
    this.#firstList = new Promise((resolve) => lite.once('reader', () => setImmediate(resolve)));
  }

  /** Connect to pcscd. Throws `TransportError` if pcscd is not running. */
  static async open(): Promise<PcscContext> {
    await assertPcscdReachable();
    return new PcscContext(pcsclite());
  }

  /** Names of the readers pcscd reports, in order of appearance (a state may not be known yet). */
  get readerNames(): string[] {
    return [...this.#readers.keys()];
  }

  /** The error that ended the context's watch on pcscd, if pcscd failed. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Names of all readers pcscd reports, waiting up to `timeoutMs` for its first report; pcscd does
   * not signal "no readers", so that case costs the whole timeout. Throws `TransportError` once closed.
   */
  async listReaders(timeoutMs: number): Promise<string[]> {
    await settle(this.#firstList, timeoutMs);
    if (this.#closed) throw new TransportError('PC/SC context is closed');
    return [...this.#readers.keys()];
  }

  /** Last reported state of a reader, or undefined if it is unknown or gone. */
  status(name: string): PcscReaderStatus | undefined {
    return this.#readers.get(name)?.status;
  }

  /**
   * Hand the binding's reader object to one adapter until `releaseReader`: the object holds a
   * single card handle, so two users would end each other's sessions. Throws `ReaderGoneError` if
   * the reader is not known, `TransportError` if it is already claimed.
   */
  claimReader(name: string): CardReader {
    const tracked = this.#readers.get(name);
    if (tracked === undefined) throw new ReaderGoneError(`reader "${name}" is not present`, { cause: this.#failure });
    if (this.#claimed.has(tracked.reader)) throw new TransportError(`reader "${name}" is already open in this context`);
    this.#claimed.add(tracked.reader);
    return tracked.reader;
  }

  /** Give back a reader object obtained from `claimReader`. */
  releaseReader(reader: CardReader): void {
    this.#claimed.delete(reader);
  }

  /**
   * The reader named exactly `pattern`, else the one reader whose name contains it, else
   * undefined. Throws `TransportError` when several contain it.
   */
  findReader(pattern: string): string | undefined {
    const names = this.readerNames;
    if (names.includes(pattern)) return pattern;
    const matches = names.filter((n) => n.includes(pattern));
    if (matches.length > 1) {
      throw new TransportError(`"${pattern}" matches several readers: ${matches.map((m) => `"${m}"`).join(', ')}`);
    }
    return matches[0];
  }

  /**
   * Wait until `findReader(pattern)` finds a reader with a known state and return its name.
   * Throws `ReaderGoneError` after `timeoutMs` (0..2^31-1) or if pcscd fails, `TransportError` if
   * the pattern is ambiguous or the context is closed.
   */
  async waitForReader(pattern: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    // Matching on a partial first list could find a substring "unique" that is not.
    await settle(this.#firstList, timeoutMs);
    const ready = (): string | undefined => {
      const name = this.findReader(pattern);
      return name !== undefined && this.status(name) !== undefined ? name : undefined;
    };
    const found = this.#check(ready);
    if (found !== undefined) return found;
    return this.#waitFor(Math.max(0, deadline - Date.now()), `no reader matching "${pattern}"`, ready);
  }

  /**
   * Wait until `accept` holds for the reader's state and return that state. Throws `ReaderGoneError`
   * if the reader or pcscd goes away, `timeoutError()` after `timeoutMs`.
   */
  async waitForStatus(
    name: string,
    accept: (status: PcscReaderStatus) => boolean,
    timeoutMs: number,
    timeoutError: () => Error,
  ): Promise<PcscReaderStatus> {
    const current = () => {
      const tracked = this.#readers.get(name);
      if (tracked === undefined) throw new ReaderGoneError(`reader "${name}" is gone`, { cause: this.#failure });
      return tracked.status !== undefined && accept(tracked.status) ? tracked.status : undefined;
    };
    const now = this.#check(current);
    if (now !== undefined) return now;
    return this.#waitFor(timeoutMs, timeoutError, current);
  }

  /**
   * Stop watching pcscd and every reader; once resolved, nothing of the binding keeps the process
   * alive. Idempotent. Takes a few milliseconds (up to 250 ms when pcscd reports no reader at all).
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true;
      this.#wake();
      this.#closing = this.#shutdown();
    }
    return this.#closing;
  }

  /*
   * The binding's close() is only safe under two conditions, both learnt the hard way:
   * - its watcher thread must have entered its loop, or it exits without the notice that releases
   *   its libuv handle, and the process never exits;
   * - it must not run inside a status callback (nor in promise jobs that callback resolves): the
   *   binding holds the reader's mutex there, close() takes it again, and the thread deadlocks.
   */
  async #shutdown(): Promise<void> {
    await settle(this.#firstList, 250);
    await Promise.all([...this.#bindingReaders.values()].map((w) => settle(w.started, SETTLE_MS)));
    await nextMacrotask();
    const watches = [...this.#bindingReaders];
    for (const [reader] of watches) reader.close();
    this.#lite.close();
    await Promise.all(watches.map(([, w]) => settle(w.ended, SETTLE_MS)));
    this.#readers.clear();
  }

  #check<T>(probe: () => T | undefined): T | undefined {
    if (this.#closed) throw new TransportError('PC/SC context is closed');
    if (this.#failure !== undefined) throw new ReaderGoneError('pcscd is gone', { cause: this.#failure });
    return probe();
  }

  /** Re-run `probe` on every state change until it yields a value, throws, or time runs out. */
  #waitFor<T>(timeoutMs: number, timeout: string | (() => Error), probe: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.#wakers.delete(onChange);
        settle();
      };
      const onChange = (): void => {
        let value: T | undefined;
        try {
          value = this.#check(probe);
        } catch (err) {
          finish(() => reject(err));
          return;
        }
        if (value !== undefined) finish(() => resolve(value));
      };
      const timer = setTimeout(
        () => finish(() => reject(typeof timeout === 'string' ? new ReaderGoneError(timeout) : timeout())),
        timeoutMs,
      );
      this.#wakers.add(onChange);
    });
  }

  #wake(): void {
    for (const waker of [...this.#wakers]) waker();
  }

  #track(reader: CardReader): void {
    const tracked: TrackedReader = { reader, status: undefined };
    const name = reader.name;
    // Without a listener an 'error' event would be thrown; the 'end' that follows it is what counts.
    reader.on('error', () => {});
    let markStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const ended = new Promise<void>((resolve) =>
      reader.once('end', () => {
        markStarted();
        resolve();
      }),
    );
    reader.once('status', () => markStarted());
    this.#bindingReaders.set(reader, { started, ended });
    if (this.#closed) {
      // Reported while closing: stop it as soon as that is safe.
      void settle(started, SETTLE_MS).then(nextMacrotask).then(() => reader.close());
      return;
    }
    this.#readers.set(name, tracked);
    reader.on('status', ({ state, atr }) => {
      if (this.#closed || this.#readers.get(name) !== tracked) return;
      const first = tracked.status === undefined;
      tracked.status = { state, atr: Buffer.from(atr ?? []) };
      if (first) this.emit('reader', name);
      this.emit('status', name, tracked.status);
      this.#wake();
    });
    reader.on('end', () => {
      if (this.#closed || this.#readers.get(name) !== tracked) return;
      this.#readers.delete(name);
      this.emit('readerGone', name);
      this.#wake();
    });
  }

  #onServiceError(err: Error): void {
    // Closing cancels the binding's wait, which it reports as an error.
    if (this.#closed || this.#failure !== undefined) return;
    this.#failure = err;
    for (const name of [...this.#readers.keys()]) {
      this.#readers.delete(name);
      this.emit('readerGone', name);
    }
    this.#wake();
    this.emit('failed', err);
  }
}
