/**
 * FileStore: the card's persistent memory in one append-only file, `<state-dir>/card.state`.
 *
 * Format (version 1; byte layout in stateFormat.ts and docs/card-state-format.md):
 *   file   = file header (32 bytes: magic "CCSTATE\0", version, SHA-256 check)
 *            ‖ snapshot record ‖ commit record*
 *   record = header (24 bytes: marker "CREC", type, sequence, body length, 4-byte SHA-256 check of
 *            the header) ‖ body (entry count ‖ puts and deletes) ‖ SHA-256(header ‖ body)
 * The snapshot (type 'S') holds every key with its value; each `commit` appends one commit record
 * (type 'C', sequence = previous + 1) holding exactly the changes of that commit, written with a
 * single positional write and made durable with one fdatasync. The in-memory map is updated only
 * after that, so `get` never shows an undurable value.
 *
 * Compaction rewrites the file as header ‖ snapshot of the current state (keeping the sequence):
 * write `card.state.tmp`, fsync it, rename it over `card.state`, fsync the directory. It runs after
 * a commit once the commit log exceeds both `compactAfterBytes` and the size of the live data. A
 * crash before the rename leaves the old file (a stale .tmp is deleted at the next open); after
 * it, the new one; both hold the same state. A new store is created the same way (empty snapshot,
 * sequence 0), so the header and snapshot of a `card.state` were always synced before the file
 * became visible.
 *
 * Recovery at open (nothing is loaded unless the whole file passes):
 *   1. header and snapshot must be intact, else `CorruptStateError` (no crash can damage them);
 *   2. commit records are replayed while valid, in sequence;
 *   3. the first invalid record is a torn tail (the append interrupted by the crash: the state is
 *      as before that commit, and the tail is truncated away and synced) when nothing valid can
 *      follow it: its header is incomplete; or its header is valid and the record reaches or
 *      passes the end of the file (cut short, or its last sectors never written); or its header is
 *      damaged and no valid record header with a later sequence follows;
 *   4. anything else (a bad record followed by more data, a sequence gap, a malformed body, wrong
 *      magic or version) is `CorruptStateError` with the file path, byte offset and reason, and the
 *      file is left untouched.
 * Damage to the very last record cannot be told from an interrupted append and loses that one
 * commit; damage anywhere before it is always reported.
 *
 * Durability: with `sync` (default) a commit is on disk when `commit` returns. Without it, commits
 * survive a process crash (kill -9) but not an OS crash or power cut. One process at a time may
 * open a state file; there is no lock.
 */
import { join } from 'node:path';
import { PowerLossError, StorageError } from './errors.js';
import { normalizeChanges, type NormalizedChange, type PersistentStore } from './persistentStore.js';
import {
  MAX_RECORD_BODY,
  RECORD_COMMIT,
  RECORD_SNAPSHOT,
  encodeFileHeader,
  encodeRecord,
  entrySize,
  type RecordEntry,
} from './stateFormat.js';
import { scanStateLog } from './stateLog.js';
import { nodeStorageIo, type StorageIo } from './storageIo.js';

export const DEFAULT_STATE_NAME = 'card.state';
export const DEFAULT_COMPACT_AFTER_BYTES = 128 * 1024;

export interface FileStoreOptions {
  /** File name inside the directory (no path separators); default 'card.state'. */
  name?: string;
  /** Sync each commit to disk before returning (default true). */
  sync?: boolean;
  /** File-system access; default `node:fs`. */
  io?: StorageIo;
  /** Commit-log bytes (≥ 0) before compaction is considered; default 128 KiB. */
  compactAfterBytes?: number;
}

interface OpenState {
  readonly io: StorageIo;
  readonly dir: string;
  readonly path: string;
  readonly sync: boolean;
  readonly compactAfterBytes: number;
  readonly fd: number;
  readonly values: Map<string, Buffer>;
  readonly seq: number;
  readonly snapshotEnd: number;
  readonly end: number;
}

export class FileStore implements PersistentStore {
  /** The state file. */
  readonly path: string;
  private readonly io: StorageIo;
  private readonly dir: string;
  private readonly tmpPath: string;
  private readonly sync: boolean;
  private readonly compactAfterBytes: number;
  private readonly values: Map<string, Buffer>;
  private sortedKeys: string[] | null = null;
  private fd: number;
  private seq: number;
  private snapshotEnd: number;
  private end: number;
  /** Size of the live data as snapshot entries; compaction waits until the log outgrows it. */
  private liveBytes = 0;
  private compactCheckAt: number;
  /** Set once closed or failed; one flag keeps `get` a plain lookup. */
  private blocked = false;
  private failure: StorageError | null = null;
  private compactionError: StorageError | null = null;

  private constructor(state: OpenState) {
    this.io = state.io;
    this.dir = state.dir;
    this.path = state.path;
    this.tmpPath = tmpPathOf(state.path);
    this.sync = state.sync;
    this.compactAfterBytes = state.compactAfterBytes;
    this.fd = state.fd;
    this.values = state.values;
    this.seq = state.seq;
    this.snapshotEnd = state.snapshotEnd;
    this.end = state.end;
    this.compactCheckAt = state.snapshotEnd + state.compactAfterBytes;
    for (const [key, value] of state.values) this.liveBytes += entrySize(Buffer.byteLength(key), value);
  }

  /**
   * Opens (or creates, with its directory) `<dir>/<name>`, replays it and cuts off a torn tail
   * left by a crash. Throws `CorruptStateError` (path, byte offset, reason) if the file is damaged
   * in a way a crash cannot explain, without modifying it and without loading anything;
   * `StorageError` on an I/O failure; `PowerLossError` from an injected I/O layer; `RangeError` for
   * a bad name or `compactAfterBytes`.
   */
  static open(dir: string, options: FileStoreOptions = {}): FileStore {
    const io = options.io ?? nodeStorageIo;
    const name = options.name ?? DEFAULT_STATE_NAME;
    if (name === '' || name === '.' || name === '..' || /[/\\]/.test(name)) {
      throw new RangeError(`state file name ${JSON.stringify(name)} must be a plain file name`);
    }
    const compactAfterBytes = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES;
    if (!Number.isSafeInteger(compactAfterBytes) || compactAfterBytes < 0) {
      throw new RangeError(`compactAfterBytes must be a non-negative integer, got ${compactAfterBytes}`);
    }
    const sync = options.sync ?? true;
    const path = join(dir, name);
    const tmpPath = tmpPathOf(path);
    try {
      io.mkdirp(dir);
      if (!io.exists(path)) {
        if (io.exists(tmpPath)) io.unlink(tmpPath);
        io.close(writeSnapshotFile(io, dir, path, [], 0, sync).fd);
      }
      const scanned = scanStateLog(io.readFile(path), path);
      // Only now, with the main file known good: a leftover .tmp is an unfinished compaction.
      if (io.exists(tmpPath)) io.unlink(tmpPath);
      const fd = io.open(path, 'readWrite');
      try {
        if (scanned.tornTail !== null) {
          io.truncate(fd, scanned.validEnd);
          if (sync) io.fsync(fd);
        }
      } catch (err) {
        closeQuietly(io, fd);
        throw err;
      }
      return new FileStore({
        io,
        dir,
        path,
        sync,
        compactAfterBytes,
        fd,
        values: scanned.values,
        seq: scanned.seq,
        snapshotEnd: scanned.snapshotEnd,
        end: scanned.validEnd,
      });
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`cannot open card state ${path}: ${messageOf(err)}`, { cause: err });
    }
  }

  /** The last automatic compaction failure (the commit itself had succeeded), or null. */
  get lastCompactionError(): StorageError | null {
    return this.compactionError;
  }

  get(key: string): Buffer | undefined {
    if (this.blocked) throw this.usageError();
    return this.values.get(key);
  }

  keys(): string[] {
    if (this.blocked) throw this.usageError();
    this.sortedKeys ??= [...this.values.keys()].sort();
    return [...this.sortedKeys];
  }

  /**
   * See `PersistentStore.commit`. Also throws `RangeError` if the live state would exceed
   * `MAX_RECORD_BODY` once compacted (nothing applied). After a `StorageError` or `PowerLossError`
   * the outcome is either all-before or all-after: reopen the store to learn which.
   */
  commit(changes: ReadonlyMap<string, Uint8Array | null>): void {
    if (this.blocked) throw this.usageError();
    const normalized = normalizeChanges(changes);
    if (normalized.length === 0) return;
    const liveAfter = this.liveBytesAfter(normalized);
    if (liveAfter + 4 > MAX_RECORD_BODY) {
      throw new RangeError(`card state would grow to ${liveAfter} bytes, more than ${MAX_RECORD_BODY - 4}`);
    }
    const record = encodeRecord(RECORD_COMMIT, this.seq + 1, normalized);
    try {
      this.io.write(this.fd, record, this.end);
      if (this.sync) this.io.fsync(this.fd);
    } catch (err) {
      throw this.fail(err, 'commit');
    }
    for (const { key, value } of normalized) {
      if (value === null) this.values.delete(key);
      else this.values.set(key, value);
    }
    this.sortedKeys = null;
    this.liveBytes = liveAfter;
    this.end += record.length;
    this.seq += 1;
    if (this.end >= this.compactCheckAt && this.end - this.snapshotEnd >= this.liveBytes) this.autoCompact();
  }

  /**
   * Rewrite the file as one snapshot of the current state (crash-safe, see the top of this file).
   * Throws `StorageError`: if it failed before the new file replaced the old one, the store stays
   * usable and the file unchanged; otherwise (and on `PowerLossError`) the store is unusable.
   */
  compact(): void {
    if (this.blocked) throw this.usageError();
    const entries: RecordEntry[] = [...this.values.keys()]
      .sort()
      .map((key) => ({ keyBytes: Buffer.from(key, 'utf8'), value: this.values.get(key) ?? null }));
    let written: { fd: number; length: number };
    try {
      written = writeSnapshotFile(this.io, this.dir, this.path, entries, this.seq, this.sync);
    } catch (err) {
      if (err instanceof SnapshotReplacedError || err instanceof PowerLossError) throw this.fail(err, 'compaction');
      removeQuietly(this.io, this.tmpPath);
      throw new StorageError(`compaction of ${this.path} failed; the state file is unchanged: ${messageOf(err)}`, { cause: err });
    }
    // The old descriptor now points at the replaced, unlinked file.
    closeQuietly(this.io, this.fd);
    this.fd = written.fd;
    this.end = written.length;
    this.snapshotEnd = written.length;
    this.compactCheckAt = written.length + this.compactAfterBytes;
  }

  /** Release the file; idempotent. Throws `StorageError` if closing the file fails. */
  close(): void {
    if (this.blocked) return;
    this.blocked = true;
    try {
      this.io.close(this.fd);
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`closing card state ${this.path} failed: ${messageOf(err)}`, { cause: err });
    }
  }

  private autoCompact(): void {
    try {
      this.compact();
      this.compactionError = null;
    } catch (err) {
      if (this.failure !== null) throw err;
      // The commit is durable already; a failed compaction only postpones the next attempt.
      this.compactionError = err instanceof StorageError ? err : new StorageError(messageOf(err), { cause: err });
      this.compactCheckAt = this.end + this.compactAfterBytes;
    }
  }

  private liveBytesAfter(changes: readonly NormalizedChange[]): number {
    let live = this.liveBytes;
    for (const { key, keyBytes, value } of changes) {
      const old = this.values.get(key);
      if (old !== undefined) live -= entrySize(keyBytes.length, old);
      if (value !== null) live += entrySize(keyBytes.length, value);
    }
    return live;
  }

  /** Make the store unusable after a failed write; the file's outcome is only known on reopen. */
  private fail(err: unknown, what: string): StorageError {
    const error =
      err instanceof PowerLossError
        ? err
        : new StorageError(`${what} of ${this.path} failed, outcome unknown until the store is reopened: ${messageOf(err)}`, {
            cause: err,
          });
    this.failure = error;
    this.blocked = true;
    closeQuietly(this.io, this.fd);
    return error;
  }

  private usageError(): StorageError {
    if (this.failure === null) return new StorageError(`card state ${this.path} is closed`);
    return new StorageError(`card state ${this.path} is unusable after a failed write; reopen it`, { cause: this.failure });
  }
}

/** Thrown internally when a step after the rename failed: the old descriptor is stale. */
class SnapshotReplacedError extends StorageError {}

/**
 * Write header ‖ snapshot to `<path>.tmp`, sync it, rename it over `path`, sync the directory.
 * Returns the open (read-write) descriptor of the new file and its length. Errors after the rename
 * are wrapped in `SnapshotReplacedError` (power loss passes through unchanged).
 */
function writeSnapshotFile(
  io: StorageIo,
  dir: string,
  path: string,
  entries: readonly RecordEntry[],
  seq: number,
  sync: boolean,
): { fd: number; length: number } {
  const tmpPath = tmpPathOf(path);
  const bytes = Buffer.concat([encodeFileHeader(), encodeRecord(RECORD_SNAPSHOT, seq, entries)]);
  const fd = io.open(tmpPath, 'create');
  try {
    io.write(fd, bytes, 0);
    if (sync) io.fsync(fd);
    io.rename(tmpPath, path);
  } catch (err) {
    closeQuietly(io, fd);
    throw err;
  }
  try {
    if (sync) io.fsyncDir(dir);
  } catch (err) {
    closeQuietly(io, fd);
    if (err instanceof PowerLossError) throw err;
    throw new SnapshotReplacedError(`syncing directory ${dir} failed: ${messageOf(err)}`, { cause: err });
  }
  return { fd, length: bytes.length };
}

function tmpPathOf(path: string): string {
  return `${path}.tmp`;
}

function closeQuietly(io: StorageIo, fd: number): void {
  try {
    io.close(fd);
  } catch {
    // Already failing; the original error is the one worth reporting.
  }
}

function removeQuietly(io: StorageIo, path: string): void {
  try {
    if (io.exists(path)) io.unlink(path);
  } catch {
    // A leftover .tmp is harmless: the next open deletes it.
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
