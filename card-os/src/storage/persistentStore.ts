/**
 * The card's persistent key/value memory: everything that must survive a power cut (file contents,
 * PIN retry counters, keys, purse balance and counters, logs). Reads come from memory; a commit
 * changes any number of keys at once, all or nothing.
 */

/** Longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Longest value, in bytes. */
export const MAX_VALUE_BYTES = 1024 * 1024;

export interface PersistentStore {
  /** Current committed value of a key (from memory), or undefined. Callers must not mutate it. */
  get(key: string): Buffer | undefined;
  /** All keys with a value, sorted (UTF-16 code unit order, as `Array.prototype.sort`). */
  keys(): string[];
  /**
   * Atomically apply puts (bytes, copied) and deletes (null). On return the change is durable (when
   * sync is on). Either every change becomes visible or none (also across crashes). An empty map
   * is a no-op. Throws `TypeError`/`RangeError` for a bad key or value (nothing applied),
   * `PowerLossError` if the injected I/O layer cuts power and `StorageError` on an I/O failure;
   * after either of those the store must not be used again (reopen from disk).
   */
  commit(changes: ReadonlyMap<string, Uint8Array | null>): void;
  /** Release the store; idempotent. Any later call other than `close` throws `StorageError`. */
  close(): void;
}

/** One validated change: the value is a private copy (or null for a delete). */
export interface NormalizedChange {
  readonly key: string;
  readonly keyBytes: Buffer;
  readonly value: Buffer | null;
}

/**
 * Validate and copy a change set, in the map's order.
 * Throws `TypeError` for a key that is not a well-formed string or a value that is not a
 * Uint8Array or null; `RangeError` for an empty key, a key over `MAX_KEY_BYTES` UTF-8 bytes or a
 * value over `MAX_VALUE_BYTES`.
 */
export function normalizeChanges(changes: ReadonlyMap<string, Uint8Array | null>): NormalizedChange[] {
  const out: NormalizedChange[] = [];
  for (const [key, value] of changes) {
    if (typeof key !== 'string') throw new TypeError(`storage key must be a string, got ${typeof key}`);
    if (key.length === 0) throw new RangeError('storage key must not be empty');
    const keyBytes = Buffer.from(key, 'utf8');
    // A lone surrogate would not survive the UTF-8 round trip through the state file.
    if (keyBytes.toString('utf8') !== key) throw new TypeError(`storage key ${JSON.stringify(key)} is not well-formed UTF-16`);
    if (keyBytes.length > MAX_KEY_BYTES) {
      throw new RangeError(`storage key is ${keyBytes.length} UTF-8 bytes, more than ${MAX_KEY_BYTES}`);
    }
    if (value === null) {
      out.push({ key, keyBytes, value: null });
      continue;
    }
    if (!(value instanceof Uint8Array)) throw new TypeError(`value of storage key ${JSON.stringify(key)} must be a Uint8Array or null`);
    if (value.length > MAX_VALUE_BYTES) {
      throw new RangeError(`value of storage key ${JSON.stringify(key)} is ${value.length} bytes, more than ${MAX_VALUE_BYTES}`);
    }
    out.push({ key, keyBytes, value: Buffer.from(value) });
  }
  return out;
}
