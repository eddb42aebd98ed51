import * as fs from 'node:fs';

/**
 * The small synchronous file-system surface `FileStore` uses, so tests can cut power at any
 * mutating call (`FaultyIo`) or simulate a disk cache (`SimulatedDiskIo`).
 *
 * "Mutating" calls (the write points of fault injection): `mkdirp`, `open` in mode `create`,
 * `write`, `fsync`, `truncate`, `rename`, `unlink`, `fsyncDir`. Errors are the platform's (Node
 * `fs` errors carrying `code`), except power loss (`PowerLossError`).
 */
export interface StorageIo {
  exists(path: string): boolean;
  /** Create a directory and its missing parents. */
  mkdirp(path: string): void;
  /** Whole content of a file. */
  readFile(path: string): Buffer;
  /** `read`: existing file, read-only; `readWrite`: existing file; `create`: create or truncate, read-write. */
  open(path: string, mode: OpenMode): number;
  /** Write all of `data` at byte `position`, growing the file if needed. */
  write(fd: number, data: Uint8Array, position: number): void;
  /** Make the file's data (and size) durable. */
  fsync(fd: number): void;
  truncate(fd: number, length: number): void;
  close(fd: number): void;
  /** Atomically replace `to` by `from`. */
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Make a directory's entries (creations, renames, removals) durable. */
  fsyncDir(path: string): void;
}

export type OpenMode = 'read' | 'readWrite' | 'create';

const FLAGS: Record<OpenMode, string> = { read: 'r', readWrite: 'r+', create: 'w+' };

/** `StorageIo` on `node:fs`. */
export class NodeStorageIo implements StorageIo {
  exists(path: string): boolean {
    return fs.existsSync(path);
  }

  mkdirp(path: string): void {
    fs.mkdirSync(path, { recursive: true });
  }

  readFile(path: string): Buffer {
    return fs.readFileSync(path);
  }

  open(path: string, mode: OpenMode): number {
    return fs.openSync(path, FLAGS[mode]);
  }

  write(fd: number, data: Uint8Array, position: number): void {
    let done = 0;
    while (done < data.length) {
      done += fs.writeSync(fd, data, done, data.length - done, position + done);
    }
  }

  fsync(fd: number): void {
    // fdatasync also flushes the size, which is all an append needs; cheaper than a full fsync.
    fs.fdatasyncSync(fd);
  }

  truncate(fd: number, length: number): void {
    fs.ftruncateSync(fd, length);
  }

  close(fd: number): void {
    fs.closeSync(fd);
  }

  rename(from: string, to: string): void {
    fs.renameSync(from, to);
  }

  unlink(path: string): void {
    fs.unlinkSync(path);
  }

  fsyncDir(path: string): void {
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      // Windows cannot open a directory; its renames are durable without this step.
      if (process.platform === 'win32') return;
      throw err;
    }
    try {
      fs.fsyncSync(fd);
    } catch (err) {
      if (process.platform !== 'win32') throw err;
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Shared default instance (stateless). */
export const nodeStorageIo: StorageIo = new NodeStorageIo();
