import { PowerLossError } from './errors.js';
import type { OpenMode, StorageIo } from './storageIo.js';

/** Kind of a mutating call, as counted by `FaultyIo`. */
export type WritePointOp = 'mkdirp' | 'create' | 'write' | 'fsync' | 'truncate' | 'rename' | 'unlink' | 'fsyncDir';

/** One mutating call seen by `FaultyIo`. */
export interface WritePoint {
  /** 1-based position among all write points of this `FaultyIo`. */
  readonly index: number;
  readonly op: WritePointOp;
  /** File or directory concerned (the source for `rename`). */
  readonly path: string;
  /** Bytes to write for `write`, 0 otherwise. */
  readonly length: number;
}

/** How many bytes of the failing write reach the disk: a count, or a function of the write's length. Clamped to 0..length. */
export type TornBytes = number | ((length: number) => number);

export interface FaultyIoOptions {
  /** Lose power at this write point (1-based); default: never. */
  failAt?: number;
  /** Torn prefix for a failing `write`; default 0. */
  tornBytes?: TornBytes;
}

/**
 * A `StorageIo` wrapper that counts write points (every mutating call: mkdirp, create, write,
 * fsync, truncate, rename, unlink, fsyncDir) and, at the chosen one, loses power: a `write` first
 * writes only the torn prefix, any other call does nothing; then it throws `PowerLossError`, and
 * so does every later call (reads included). Files it opened on the inner I/O are closed at that
 * moment, so a test can reopen the state with a fresh I/O object.
 */
export class FaultyIo implements StorageIo {
  private failPoint: number;
  private torn: TornBytes;
  private readonly points: WritePoint[] = [];
  private readonly openFds = new Map<number, string>();
  private powerLost: PowerLossError | null = null;

  constructor(
    private readonly inner: StorageIo,
    options: FaultyIoOptions = {},
  ) {
    this.failPoint = options.failAt ?? Number.POSITIVE_INFINITY;
    this.torn = options.tornBytes ?? 0;
  }

  /** Number of write points so far. */
  get count(): number {
    return this.points.length;
  }

  /** Every write point so far, in order. */
  get trace(): readonly WritePoint[] {
    return this.points;
  }

  get poweredOff(): boolean {
    return this.powerLost !== null;
  }

  /** Lose power at absolute write point `index` (must be later than `count`). Throws `RangeError` otherwise. */
  failAt(index: number, tornBytes: TornBytes = 0): void {
    if (!Number.isSafeInteger(index) || index <= this.points.length) {
      throw new RangeError(`write point ${index} is not after the ${this.points.length} already done`);
    }
    this.failPoint = index;
    this.torn = tornBytes;
  }

  /** Lose power at the `n`-th write point from now (n ≥ 1). */
  failAfter(n: number, tornBytes: TornBytes = 0): void {
    this.failAt(this.points.length + n, tornBytes);
  }

  /** Run `fn` and return the write points it used (it may throw; then nothing is returned). */
  measure(fn: () => void): WritePoint[] {
    const start = this.points.length;
    fn();
    return this.points.slice(start);
  }

  exists(path: string): boolean {
    this.checkPower();
    return this.inner.exists(path);
  }

  mkdirp(path: string): void {
    this.point('mkdirp', path, 0);
    this.inner.mkdirp(path);
  }

  readFile(path: string): Buffer {
    this.checkPower();
    return this.inner.readFile(path);
  }

  open(path: string, mode: OpenMode): number {
    if (mode === 'create') this.point('create', path, 0);
    else this.checkPower();
    const fd = this.inner.open(path, mode);
    this.openFds.set(fd, path);
    return fd;
  }

  write(fd: number, data: Uint8Array, position: number): void {
    const path = this.pathOf(fd);
    this.checkPower();
    const index = this.points.length + 1;
    this.points.push({ index, op: 'write', path, length: data.length });
    if (index === this.failPoint) {
      const requested = typeof this.torn === 'function' ? this.torn(data.length) : this.torn;
      const keep = Math.max(0, Math.min(data.length, Math.floor(requested)));
      if (keep > 0) this.inner.write(fd, data.subarray(0, keep), position);
      this.cutPower(index, 'write');
    }
    this.inner.write(fd, data, position);
  }

  fsync(fd: number): void {
    this.point('fsync', this.pathOf(fd), 0);
    this.inner.fsync(fd);
  }

  truncate(fd: number, length: number): void {
    this.point('truncate', this.pathOf(fd), 0);
    this.inner.truncate(fd, length);
  }

  close(fd: number): void {
    this.checkPower();
    this.openFds.delete(fd);
    this.inner.close(fd);
  }

  rename(from: string, to: string): void {
    this.point('rename', from, 0);
    this.inner.rename(from, to);
  }

  unlink(path: string): void {
    this.point('unlink', path, 0);
    this.inner.unlink(path);
  }

  fsyncDir(path: string): void {
    this.point('fsyncDir', path, 0);
    this.inner.fsyncDir(path);
  }

  private pathOf(fd: number): string {
    return this.openFds.get(fd) ?? `fd ${fd}`;
  }

  private checkPower(): void {
    if (this.powerLost !== null) throw this.powerLost;
  }

  private point(op: WritePointOp, path: string, length: number): void {
    this.checkPower();
    const index = this.points.length + 1;
    this.points.push({ index, op, path, length });
    if (index === this.failPoint) this.cutPower(index, op);
  }

  private cutPower(index: number, op: WritePointOp): never {
    this.powerLost = new PowerLossError(index, op);
    for (const fd of this.openFds.keys()) {
      try {
        this.inner.close(fd);
      } catch {
        // Best effort: the descriptor only matters to the dead process being simulated.
      }
    }
    this.openFds.clear();
    throw this.powerLost;
  }
}
