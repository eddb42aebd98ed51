/**
 * A damaged state file is reported (CorruptStateError with path, byte offset and reason), never
 * half-loaded and never modified; a torn tail left by an interrupted append is not damage: it is
 * cut off and the state is as before that append.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concat, fromHex } from '@citycard/protocols';
import { CorruptStateError, FileStore, StorageError, type PersistentStore } from '../../card-os/src/storage/index.js';
import { RECORD_COMMIT, RECORD_SNAPSHOT, encodeFileHeader, encodeRecord } from '../../card-os/src/storage/stateFormat.js';

const COMMITS = [
  new Map([['ep/balance', fromHex('00002710')], ['ep/counter', fromHex('0001')]]),
  new Map([['ep/balance', fromHex('0000251C')], ['ep/counter', fromHex('0002')], ['ep/log/02', fromHex('0002000001F4')]]),
  new Map([['ep/balance', fromHex('00002328')], ['ep/counter', fromHex('0003')], ['ep/log/03', fromHex('0003000001F4')]]),
];
const STATE_AFTER_2 = { 'ep/balance': '0000251C', 'ep/counter': '0002', 'ep/log/02': '0002000001F4' };
const STATE_AFTER_3 = { ...STATE_AFTER_2, 'ep/balance': '00002328', 'ep/counter': '0003', 'ep/log/03': '0003000001F4' };

const workDirs: string[] = [];
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'citycard-corrupt-'));
  workDirs.push(dir);
  return dir;
}

function dump(store: PersistentStore): Record<string, string> {
  return Object.fromEntries(store.keys().map((key) => [key, store.get(key)?.toString('hex').toUpperCase() ?? '']));
}

/** A good file: snapshot then three commit records; `ends[i]` is the file length after commit i (ends[0]: snapshot only). */
function goodFile(): { bytes: Buffer; ends: number[] } {
  const dir = tempDir();
  const store = FileStore.open(dir, { sync: false });
  const path = join(dir, 'card.state');
  const ends = [readFileSync(path).length];
  for (const commit of COMMITS) {
    store.commit(commit);
    ends.push(readFileSync(path).length);
  }
  store.close();
  return { bytes: readFileSync(path), ends };
}

const GOOD = goodFile();
const [SNAPSHOT_END = 0, END_1 = 0, END_2 = 0, END_3 = 0] = GOOD.ends;

function withBytes(bytes: Uint8Array): { dir: string; path: string } {
  const dir = tempDir();
  const path = join(dir, 'card.state');
  writeFileSync(path, bytes);
  return { dir, path };
}

/** Open must throw CorruptStateError at `offset` matching `reason`, and leave the directory byte-identical. */
function expectCorrupt(bytes: Uint8Array, offset: number, reason: RegExp): CorruptStateError {
  const { dir, path } = withBytes(bytes);
  writeFileSync(`${path}.tmp`, 'leftover of an unfinished compaction');
  let caught: unknown;
  try {
    FileStore.open(dir).close();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CorruptStateError);
  const error = caught as CorruptStateError;
  expect(error).toBeInstanceOf(StorageError);
  expect(error.path).toBe(path);
  expect(error.offset).toBe(offset);
  expect(error.reason).toMatch(reason);
  expect(error.message).toContain(`corrupt card state file ${path} at byte ${offset}: `);
  expect(error.message).toContain('the file was left unchanged');
  expect(readFileSync(path)).toEqual(Buffer.from(bytes));
  expect(readdirSync(dir).sort()).toEqual(['card.state', 'card.state.tmp']);
  return error;
}

function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

describe('a corrupt state file is reported and left alone', () => {
  it('has the expected layout to damage', () => {
    expect(GOOD.ends).toEqual([92, 192, 314, 436]);
    const { dir } = withBytes(GOOD.bytes);
    expect(dump(FileStore.open(dir))).toEqual(STATE_AFTER_3);
  });

  it('flags a flipped byte in the body of a middle record, at that record', () => {
    const middle = END_1 + 24 + 10;
    expectCorrupt(flipped(GOOD.bytes, middle), END_1, /record 2 \(bytes 192\.\.313\) fails its SHA-256 check, and 122 more bytes follow/);
  });

  it('flags a flipped byte in the digest of a middle record', () => {
    expectCorrupt(flipped(GOOD.bytes, END_2 - 1), END_1, /record 2 .* fails its SHA-256 check/);
  });

  it('flags a damaged header of a middle record because a valid record follows', () => {
    expectCorrupt(flipped(GOOD.bytes, END_1 + 17), END_1, /record header checksum mismatch, yet a valid record follows at byte 314/);
    expectCorrupt(flipped(GOOD.bytes, END_1), END_1, /no record marker "CREC", yet a valid record follows at byte 314/);
  });

  it('flags any damage to the snapshot, even when it is the only record', () => {
    expectCorrupt(flipped(GOOD.bytes, SNAPSHOT_END - 1), 32, /snapshot record: record 0 .* fails its SHA-256 check/);
    expectCorrupt(GOOD.bytes.subarray(0, SNAPSHOT_END - 1), 32, /snapshot record: incomplete record 0/);
    expectCorrupt(GOOD.bytes.subarray(0, 40), 32, /snapshot record: incomplete record header \(8 of 24 bytes\)/);
    expectCorrupt(GOOD.bytes.subarray(0, 32), 32, /snapshot record: incomplete record header \(0 of 24 bytes\)/);
  });

  it('flags a truncated or empty header', () => {
    expectCorrupt(GOOD.bytes.subarray(0, 20), 0, /truncated header: file is 20 bytes, the header alone is 32/);
    expectCorrupt(Buffer.alloc(0), 0, /file is empty/);
  });

  it('flags a wrong magic, a damaged header and an unsupported version', () => {
    const sqlite = concat(Buffer.from('SQLite format 3\0', 'latin1'), GOOD.bytes.subarray(16));
    expectCorrupt(sqlite, 0, /wrong magic 53514C6974652066 \(expected 4343535441544500, "CCSTATE"\): not a card state file/);
    expectCorrupt(flipped(GOOD.bytes, 12), 0, /file header checksum mismatch/);
    const v2 = concat(encodeFileHeader(2), GOOD.bytes.subarray(32));
    expectCorrupt(v2, 0, /unsupported format version 2 \(this build reads version 1\)/);
  });

  it('flags a sequence gap, a second snapshot and a malformed body even with good checksums', () => {
    const header = encodeFileHeader();
    const snapshot = encodeRecord(RECORD_SNAPSHOT, 0, []);
    const put = (seq: number) => encodeRecord(RECORD_COMMIT, seq, [{ keyBytes: Buffer.from('a'), value: fromHex('01') }]);
    const base = header.length + snapshot.length;
    expectCorrupt(concat(header, snapshot, put(1), put(3)), base + put(1).length, /record sequence 3, expected 2/);
    expectCorrupt(concat(header, snapshot, put(1), encodeRecord(RECORD_SNAPSHOT, 2, [])), base + put(1).length, /a snapshot record inside the commit log/);
    expectCorrupt(concat(header, put(1)), 32, /first record is not a snapshot/);
    const deletingSnapshot = encodeRecord(RECORD_SNAPSHOT, 0, [{ keyBytes: Buffer.from('a'), value: null }]);
    expectCorrupt(concat(header, deletingSnapshot), 32, /snapshot record deletes key "a"/);
  });
});

describe('a torn tail is an interrupted append, not damage', () => {
  it('recovers the state before the last commit for every cut inside its record', () => {
    for (let length = END_2 + 1; length < END_3; length++) {
      const { dir, path } = withBytes(GOOD.bytes.subarray(0, length));
      const store = FileStore.open(dir);
      expect(dump(store), `cut at ${length}`).toEqual(STATE_AFTER_2);
      store.close();
      expect(readFileSync(path).length, `cut at ${length}`).toBe(END_2);
    }
  });

  it('recovers when the last record is complete in length but its end never reached the disk (zeros)', () => {
    const bytes = Buffer.from(GOOD.bytes);
    bytes.fill(0, END_2 + 60, END_3);
    const { dir, path } = withBytes(bytes);
    expect(dump(FileStore.open(dir))).toEqual(STATE_AFTER_2);
    expect(readFileSync(path)).toEqual(GOOD.bytes.subarray(0, END_2));
  });

  it('recovers when the whole last record is zeros (size grew, data never written)', () => {
    const bytes = Buffer.from(GOOD.bytes);
    bytes.fill(0, END_2, END_3);
    const { dir } = withBytes(bytes);
    expect(dump(FileStore.open(dir))).toEqual(STATE_AFTER_2);
  });

  it('drops zeros appended after the last complete record', () => {
    const { dir, path } = withBytes(concat(GOOD.bytes, Buffer.alloc(4096)));
    expect(dump(FileStore.open(dir))).toEqual(STATE_AFTER_3);
    expect(readFileSync(path)).toEqual(GOOD.bytes);
  });

  it('still reports damage before the torn tail', () => {
    const bytes = flipped(GOOD.bytes.subarray(0, END_3 - 5), END_1 + 30);
    expectCorrupt(bytes, END_1, /record 2 .* fails its SHA-256 check, and 117 more bytes follow/);
  });
});
