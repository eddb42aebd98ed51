import { StorageError } from './errors.js';
import { normalizeChanges, type PersistentStore } from './persistentStore.js';

/** A volatile `PersistentStore` for tests and tools: same contract as `FileStore`, nothing on disk. */
export class MemoryStore implements PersistentStore {
  private readonly values = new Map<string, Buffer>();
  private sortedKeys: string[] | null = null;
  private closed = false;

  /** `initial` values are copied. Throws like `commit` for a bad key or value. */
  constructor(initial?: Record<string, Uint8Array>) {
    if (initial !== undefined) this.commit(new Map(Object.entries(initial)));
  }

  get(key: string): Buffer | undefined {
    if (this.closed) throw closedError();
    return this.values.get(key);
  }

  keys(): string[] {
    if (this.closed) throw closedError();
    this.sortedKeys ??= [...this.values.keys()].sort();
    return [...this.sortedKeys];
  }

  commit(changes: ReadonlyMap<string, Uint8Array | null>): void {
    if (this.closed) throw closedError();
    // Validate everything before touching the map so a bad entry applies nothing.
    const normalized = normalizeChanges(changes);
    for (const { key, value } of normalized) {
      if (value === null) this.values.delete(key);
      else this.values.set(key, value);
    }
    if (normalized.length > 0) this.sortedKeys = null;
  }

  close(): void {
    this.closed = true;
  }
}

function closedError(): StorageError {
  return new StorageError('memory store is closed');
}
