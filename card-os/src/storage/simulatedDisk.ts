import { dirname } from 'node:path';
import type { OpenMode, StorageIo } from './storageIo.js';

/** What survives `SimulatedDiskIo.crash`: only what was synced, or everything written so far. */
export type CrashMode = 'lose-unsynced' | 'keep-unsynced';

interface Inode {
  data: Buffer;
  /** Content as of the last fsync. */
  durable: Buffer;
}

interface OpenFile {
  readonly inode: Inode;
  readonly writable: boolean;
}

/**
 * An in-memory disk with a write-back cache, to check that the store syncs what it must: file
 * data becomes durable only by `fsync` of that file, and directory entries (creation, rename,
 * unlink) only by `fsyncDir` of their directory. `crash('lose-unsynced')` returns the disk as a
 * strict file system would show it after a power cut. Directories themselves are durable at once.
 * Paths are compared as given (no normalization beyond `dirname`). Missing files throw an `Error`
 * with `code` `ENOENT`, like `node:fs`.
 */
export class SimulatedDiskIo implements StorageIo {
  private readonly names = new Map<string, Inode>();
  private readonly durableNames = new Map<string, Inode>();
  private readonly dirs = new Set<string>();
  private readonly fds = new Map<number, OpenFile>();
  private nextFd = 3;

  /** The disk after a power cut, with only synced state (`lose-unsynced`) or everything (`keep-unsynced`). */
  crash(mode: CrashMode): SimulatedDiskIo {
    const after = new SimulatedDiskIo();
    for (const dir of this.dirs) after.dirs.add(dir);
    const copies = new Map<Inode, Inode>();
    const copyOf = (inode: Inode): Inode => {
      let copy = copies.get(inode);
      if (copy === undefined) {
        const data = Buffer.from(mode === 'lose-unsynced' ? inode.durable : inode.data);
        copy = { data, durable: Buffer.from(data) };
        copies.set(inode, copy);
      }
      return copy;
    };
    const names = mode === 'lose-unsynced' ? this.durableNames : this.names;
    for (const [path, inode] of names) {
      after.names.set(path, copyOf(inode));
      after.durableNames.set(path, copyOf(inode));
    }
    return after;
  }

  /** Current (possibly unsynced) content of a file, or undefined. */
  peek(path: string): Buffer | undefined {
    const inode = this.names.get(path);
    return inode === undefined ? undefined : Buffer.from(inode.data);
  }

  /** Replace a file's content, durably (to plant damaged files in tests). */
  plant(path: string, content: Uint8Array): void {
    const inode: Inode = { data: Buffer.from(content), durable: Buffer.from(content) };
    this.names.set(path, inode);
    this.durableNames.set(path, inode);
  }

  /** File names currently visible, sorted. */
  files(): string[] {
    return [...this.names.keys()].sort();
  }

  exists(path: string): boolean {
    return this.names.has(path) || this.dirs.has(path);
  }

  mkdirp(path: string): void {
    for (let dir = path; !this.dirs.has(dir); dir = dirname(dir)) {
      this.dirs.add(dir);
      if (dirname(dir) === dir) break;
    }
  }

  readFile(path: string): Buffer {
    return Buffer.from(this.inodeAt(path).data);
  }

  open(path: string, mode: OpenMode): number {
    let inode: Inode;
    if (mode === 'create') {
      if (!this.dirs.has(dirname(path))) throw enoent(dirname(path));
      const existing = this.names.get(path);
      if (existing === undefined) {
        inode = { data: Buffer.alloc(0), durable: Buffer.alloc(0) };
        this.names.set(path, inode);
      } else {
        inode = existing;
        inode.data = Buffer.alloc(0);
      }
    } else {
      inode = this.inodeAt(path);
    }
    const fd = this.nextFd++;
    this.fds.set(fd, { inode, writable: mode !== 'read' });
    return fd;
  }

  write(fd: number, data: Uint8Array, position: number): void {
    const { inode } = this.writableFile(fd);
    const end = position + data.length;
    if (end > inode.data.length) {
      const grown = Buffer.alloc(end);
      inode.data.copy(grown);
      inode.data = grown;
    }
    inode.data.set(data, position);
  }

  fsync(fd: number): void {
    const { inode } = this.file(fd);
    inode.durable = Buffer.from(inode.data);
  }

  truncate(fd: number, length: number): void {
    const { inode } = this.writableFile(fd);
    const resized = Buffer.alloc(length);
    inode.data.copy(resized, 0, 0, Math.min(length, inode.data.length));
    inode.data = resized;
  }

  close(fd: number): void {
    this.file(fd);
    this.fds.delete(fd);
  }

  rename(from: string, to: string): void {
    const inode = this.inodeAt(from);
    this.names.set(to, inode);
    this.names.delete(from);
  }

  unlink(path: string): void {
    this.inodeAt(path);
    this.names.delete(path);
  }

  fsyncDir(path: string): void {
    if (!this.dirs.has(path)) throw enoent(path);
    for (const name of this.durableNames.keys()) {
      if (dirname(name) === path && !this.names.has(name)) this.durableNames.delete(name);
    }
    for (const [name, inode] of this.names) {
      if (dirname(name) === path) this.durableNames.set(name, inode);
    }
  }

  private inodeAt(path: string): Inode {
    const inode = this.names.get(path);
    if (inode === undefined) throw enoent(path);
    return inode;
  }

  private file(fd: number): OpenFile {
    const file = this.fds.get(fd);
    if (file === undefined) throw Object.assign(new Error(`EBADF: bad file descriptor ${fd}`), { code: 'EBADF' });
    return file;
  }

  private writableFile(fd: number): OpenFile {
    const file = this.file(fd);
    if (!file.writable) throw Object.assign(new Error(`EBADF: descriptor ${fd} is read-only`), { code: 'EBADF' });
    return file;
  }
}

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: 'ENOENT' });
}
