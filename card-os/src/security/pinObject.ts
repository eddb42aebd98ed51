/**
 * A PIN or PUK of an installed application, bound to the store: its reference value and its
 * tries-left counter (store keys in fs/storeKeys.ts). Comparison is constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import type { PersistentStore } from '../storage/index.js';
import type { StoreTransaction } from '../runtime/transaction.js';
import { PIN_BLOCK_LENGTH, type PinSpec } from './pinSpec.js';

export class PinObject {
  constructor(
    readonly spec: PinSpec,
    private readonly store: PersistentStore,
    readonly valueKey: string,
    readonly triesKey: string,
  ) {}

  get ref(): number {
    return this.spec.ref;
  }

  /** Whether personalization stored a reference value. */
  isSet(): boolean {
    return this.store.get(this.valueKey)?.length === PIN_BLOCK_LENGTH;
  }

  /** Tries left, 0 to maxTries; 0 (blocked) when unset or unreadable. */
  triesLeft(): number {
    const stored = this.store.get(this.triesKey);
    if (stored === undefined || stored.length !== 1) return 0;
    return Math.min(stored[0]!, this.spec.maxTries);
  }

  isBlocked(): boolean {
    return this.triesLeft() === 0;
  }

  /** Constant-time comparison of an 8-byte block with the reference; false when unset. */
  matches(block: Uint8Array): boolean {
    const reference = this.store.get(this.valueKey);
    if (reference === undefined || reference.length !== PIN_BLOCK_LENGTH || block.length !== PIN_BLOCK_LENGTH) return false;
    return timingSafeEqual(reference, block);
  }

  /** Stage the tries counter (0 to maxTries). Throws `RangeError` outside that range. */
  stageTries(tx: StoreTransaction, tries: number): void {
    if (!Number.isInteger(tries) || tries < 0 || tries > this.spec.maxTries) {
      throw new RangeError(`tries must be 0 to ${this.spec.maxTries}, got ${tries}`);
    }
    tx.set(this.triesKey, Buffer.from([tries]));
  }

  /** Stage a new reference value (a well-formed 8-byte block) and a full tries counter. */
  stageValue(tx: StoreTransaction, block: Uint8Array): void {
    if (block.length !== PIN_BLOCK_LENGTH) throw new RangeError(`PIN block must be ${PIN_BLOCK_LENGTH} bytes`);
    tx.set(this.valueKey, block);
    this.stageTries(tx, this.spec.maxTries);
  }
}
