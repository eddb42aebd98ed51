import { describe, expect, it } from 'vitest';
import { fromHex } from '@citycard/protocols';
import { FaultyIo, PowerLossError, SimulatedDiskIo } from '../../card-os/src/storage/index.js';

const PAYLOAD = fromHex('0102030405060708');

describe('FaultyIo', () => {
  it('counts every mutating call as a write point and reports what an operation used', () => {
    const io = new FaultyIo(new SimulatedDiskIo());
    io.mkdirp('/d');
    const trace = io.measure(() => {
      const fd = io.open('/d/f', 'create');
      io.write(fd, PAYLOAD, 0);
      io.fsync(fd);
      io.truncate(fd, 4);
      io.readFile('/d/f');
      io.close(fd);
      io.rename('/d/f', '/d/g');
      io.fsyncDir('/d');
      io.unlink('/d/g');
    });
    expect(trace).toEqual([
      { index: 2, op: 'create', path: '/d/f', length: 0 },
      { index: 3, op: 'write', path: '/d/f', length: 8 },
      { index: 4, op: 'fsync', path: '/d/f', length: 0 },
      { index: 5, op: 'truncate', path: '/d/f', length: 0 },
      { index: 6, op: 'rename', path: '/d/f', length: 0 },
      { index: 7, op: 'fsyncDir', path: '/d', length: 0 },
      { index: 8, op: 'unlink', path: '/d/g', length: 0 },
    ]);
    expect(io.count).toBe(8);
  });

  it.each([
    [0, ''],
    [1, '01'],
    [4, '01020304'],
    [7, '01020304050607'],
    [8, '0102030405060708'],
  ])('writes a torn prefix of %i bytes, then loses power', (torn, expectedHex) => {
    const disk = new SimulatedDiskIo();
    disk.mkdirp('/d');
    const io = new FaultyIo(disk);
    const fd = io.open('/d/f', 'create');
    io.failAfter(1, torn);
    expect(() => io.write(fd, PAYLOAD, 0)).toThrow(PowerLossError);
    expect(disk.peek('/d/f')).toEqual(fromHex(expectedHex));
  });

  it('takes the torn prefix from a function of the length, clamped to the write', () => {
    const disk = new SimulatedDiskIo();
    disk.mkdirp('/d');
    const io = new FaultyIo(disk, { failAt: 1, tornBytes: (length) => length * 10 });
    const fd = disk.open('/d/f', 'create');
    expect(() => io.write(fd, PAYLOAD, 0)).toThrow(PowerLossError);
    expect(disk.peek('/d/f')).toEqual(PAYLOAD);
  });

  it('does nothing at a failing non-write point, and every later call throws', () => {
    const disk = new SimulatedDiskIo();
    disk.mkdirp('/d');
    disk.plant('/d/f', PAYLOAD);
    const io = new FaultyIo(disk, { failAt: 1 });
    let error: unknown;
    try {
      io.rename('/d/f', '/d/g');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PowerLossError);
    expect((error as PowerLossError).writePoint).toBe(1);
    expect((error as PowerLossError).op).toBe('rename');
    expect((error as PowerLossError).message).toBe('power lost at write point 1 (rename)');
    expect(disk.files()).toEqual(['/d/f']);
    expect(io.poweredOff).toBe(true);
    expect(() => io.exists('/d/f')).toThrow(PowerLossError);
    expect(() => io.readFile('/d/f')).toThrow(PowerLossError);
    expect(() => io.open('/d/f', 'read')).toThrow(PowerLossError);
    expect(() => io.unlink('/d/f')).toThrow(PowerLossError);
    expect(io.count).toBe(1);
  });

  it('refuses to arm a write point that already passed', () => {
    const io = new FaultyIo(new SimulatedDiskIo());
    io.mkdirp('/d');
    expect(() => io.failAt(1)).toThrow(RangeError);
    expect(() => io.failAfter(0)).toThrow(RangeError);
  });
});

describe('SimulatedDiskIo', () => {
  it('loses unsynced data and unsynced directory entries in a power cut', () => {
    const disk = new SimulatedDiskIo();
    disk.mkdirp('/d');
    const fd = disk.open('/d/f', 'create');
    disk.write(fd, PAYLOAD, 0);
    disk.fsync(fd);
    expect(disk.crash('lose-unsynced').files()).toEqual([]);
    disk.fsyncDir('/d');
    disk.write(fd, fromHex('FFFF'), 8);
    expect(disk.crash('lose-unsynced').peek('/d/f')).toEqual(PAYLOAD);
    expect(disk.crash('keep-unsynced').peek('/d/f')).toEqual(fromHex('0102030405060708FFFF'));
  });

  it('makes a rename durable only with the directory sync', () => {
    const disk = new SimulatedDiskIo();
    disk.mkdirp('/d');
    disk.plant('/d/old', fromHex('01'));
    const fd = disk.open('/d/new', 'create');
    disk.write(fd, fromHex('02'), 0);
    disk.fsync(fd);
    disk.rename('/d/new', '/d/old');
    expect(disk.crash('lose-unsynced').peek('/d/old')).toEqual(fromHex('01'));
    disk.fsyncDir('/d');
    const after = disk.crash('lose-unsynced');
    expect(after.peek('/d/old')).toEqual(fromHex('02'));
    expect(after.files()).toEqual(['/d/old']);
  });

  it('fails like node:fs on a missing file', () => {
    const disk = new SimulatedDiskIo();
    expect(() => disk.readFile('/nope')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => disk.open('/nope/f', 'create')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
