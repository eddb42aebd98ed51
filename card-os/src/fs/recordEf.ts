/**
 * A linear-fixed or cyclic EF bound to its store key. All records live in one value (so a command
 * that adds a log record rewrites one key): linear-fixed in record order, cyclic newest first.
 * Record numbers are 1-based as in ISO 7816-4; for a cyclic file record 1 is the newest.
 */
import type { PersistentStore } from '../storage/index.js';
import type { StoreTransaction } from '../runtime/transaction.js';
import type { EfAccess, RecordEfSpec } from './efSpec.js';

const EMPTY = Buffer.alloc(0);

export class RecordEf {
  constructor(
    readonly spec: RecordEfSpec,
    /** Store key of the records. */
    readonly key: string,
    private readonly store: PersistentStore,
  ) {}

  get type(): RecordEfSpec['type'] {
    return this.spec.type;
  }

  get fid(): number {
    return this.spec.fid;
  }

  get sfi(): number | undefined {
    return this.spec.sfi;
  }

  get access(): EfAccess {
    return this.spec.access;
  }

  get recordLength(): number {
    return this.spec.recordLength;
  }

  /** Records present, 0 to maxRecords. */
  count(): number {
    return Math.floor((this.store.get(this.key)?.length ?? 0) / this.spec.recordLength);
  }

  /**
   * Record `n` (a view of the committed content: do not mutate it), or undefined when there is
   * no such record. Throws `RangeError` for n < 1.
   */
  read(n: number): Buffer | undefined {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`record number must be 1 or more, got ${n}`);
    const content = this.store.get(this.key) ?? EMPTY;
    const len = this.spec.recordLength;
    const end = n * len;
    return end <= content.length ? content.subarray(end - len, end) : undefined;
  }

  /**
   * Stage replacing record `n`. Throws `RangeError` for a record that does not exist (as the
   * transaction sees the file) or data that is not exactly one record long.
   */
  update(tx: StoreTransaction, n: number, record: Uint8Array): void {
    const len = this.spec.recordLength;
    if (record.length !== len) throw new RangeError(`record must be ${len} bytes, got ${record.length}`);
    const content = tx.get(this.key) ?? EMPTY;
    if (!Number.isInteger(n) || n < 1 || n * len > content.length) {
      throw new RangeError(`record ${n} does not exist (${Math.floor(content.length / len)} records)`);
    }
    const next = Buffer.from(content);
    next.set(record, (n - 1) * len);
    tx.set(this.key, next);
  }

  /**
   * Stage adding a record. Linear-fixed: it becomes the last record; throws `RangeError` when the
   * file is full. Cyclic: it becomes record 1 and the oldest record drops off when the file is
   * full. Throws `RangeError` for data that is not exactly one record long.
   */
  append(tx: StoreTransaction, record: Uint8Array): void {
    const len = this.spec.recordLength;
    if (record.length !== len) throw new RangeError(`record must be ${len} bytes, got ${record.length}`);
    const content = tx.get(this.key) ?? EMPTY;
    const count = Math.floor(content.length / len);
    if (this.spec.type === 'linear-fixed') {
      if (count >= this.spec.maxRecords) throw new RangeError(`linear-fixed EF is full (${count} records)`);
      tx.set(this.key, Buffer.concat([content.subarray(0, count * len), record]));
      return;
    }
    const kept = Math.min(count, this.spec.maxRecords - 1);
    tx.set(this.key, Buffer.concat([record, content.subarray(0, kept * len)]));
  }
}
