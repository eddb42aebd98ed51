/**
 * A command's pending writes: staged here, read back through here, then applied to the
 * PersistentStore with ONE `commit`, so every persistent value a command changes changes
 * together or not at all (card interface spec §6).
 */
import type { PersistentStore } from '../storage/index.js';

export class StoreTransaction {
  private readonly changes = new Map<string, Uint8Array | null>();

  constructor(private readonly store: PersistentStore) {}

  /** The value as this transaction would leave it (staged value, else the committed one). */
  get(key: string): Buffer | undefined {
    if (this.changes.has(key)) {
      const staged = this.changes.get(key);
      return staged === null || staged === undefined ? undefined : (staged as Buffer);
    }
    return this.store.get(key);
  }

  /** Stage a put; the bytes are copied, so later changes to `value` do not leak in. */
  set(key: string, value: Uint8Array): this {
    this.changes.set(key, Buffer.from(value));
    return this;
  }

  /** Stage a delete. */
  delete(key: string): this {
    this.changes.set(key, null);
    return this;
  }

  /** Number of staged changes. */
  get size(): number {
    return this.changes.size;
  }

  /**
   * Apply every staged change in one store commit, then start empty. Throws what the store's
   * `commit` throws (`StorageError`, `PowerLossError`); nothing is then applied.
   */
  commit(): void {
    if (this.changes.size === 0) return;
    this.store.commit(this.changes);
    this.changes.clear();
  }
}
