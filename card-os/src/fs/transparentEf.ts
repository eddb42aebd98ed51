/**
 * A transparent EF bound to its store key. Offsets and lengths here are plain numbers: decoding
 * them from P1/P2 (and choosing status words) is the commands' business.
 */
import type { PersistentStore } from '../storage/index.js';
import type { StoreTransaction } from '../runtime/transaction.js';
import type { EfAccess, TransparentEfSpec } from './efSpec.js';

const EMPTY = Buffer.alloc(0);

export class TransparentEf {
  readonly type = 'transparent' as const;

  constructor(
    readonly spec: TransparentEfSpec,
    /** Store key of the content. */
    readonly key: string,
    private readonly store: PersistentStore,
  ) {}

  get fid(): number {
    return this.spec.fid;
  }

  get sfi(): number | undefined {
    return this.spec.sfi;
  }

  get access(): EfAccess {
    return this.spec.access;
  }

  /** Current size in bytes: what was written so far, 0 for a file never written. */
  size(): number {
    return this.store.get(this.key)?.length ?? 0;
  }

  /**
   * Up to `length` bytes from `offset` (fewer at the end of the file; none at offset = size).
   * The result is a view of the committed content: do not mutate it.
   * Throws `RangeError` for a negative length or an offset outside 0..size.
   */
  read(offset: number, length: number): Buffer {
    const content = this.store.get(this.key) ?? EMPTY;
    if (offset < 0 || offset > content.length || length < 0) {
      throw new RangeError(`read of ${length} bytes at ${offset} in an EF of ${content.length} bytes`);
    }
    return content.subarray(offset, Math.min(content.length, offset + length));
  }

  /**
   * Stage writing `data` at `offset` into `tx` (as the transaction sees the file); writing past
   * the current end extends the file. Throws `RangeError` for an offset past the current end or an
   * end past `maxSize`.
   */
  write(tx: StoreTransaction, offset: number, data: Uint8Array): void {
    const content = tx.get(this.key) ?? EMPTY;
    const end = offset + data.length;
    if (offset < 0 || offset > content.length || end > this.spec.maxSize) {
      throw new RangeError(`write of ${data.length} bytes at ${offset}: size ${content.length}, max ${this.spec.maxSize}`);
    }
    const next = Buffer.alloc(Math.max(content.length, end));
    content.copy(next, 0);
    next.set(data, offset);
    tx.set(this.key, next);
  }

  /** Stage replacing the whole content. Throws `RangeError` above `maxSize`. */
  replace(tx: StoreTransaction, content: Uint8Array): void {
    if (content.length > this.spec.maxSize) {
      throw new RangeError(`content of ${content.length} bytes exceeds max ${this.spec.maxSize}`);
    }
    tx.set(this.key, content);
  }
}
