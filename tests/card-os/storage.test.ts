import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex } from '@citycard/protocols';
import {
  FileStore,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  MemoryStore,
  SimulatedDiskIo,
  StorageError,
  type PersistentStore,
} from '../../card-os/src/storage/index.js';

const BALANCE_10000 = fromHex('00002710');
const BALANCE_9500 = fromHex('0000251C');
const COUNTER_5 = fromHex('0005');
const COUNTER_6 = fromHex('0006');
const EMPTY = fromHex('');

/** A store under test plus a way to get "the same card after a restart". */
interface Subject {
  store: PersistentStore;
  reopen(): PersistentStore;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'citycard-storage-'));
  dirs.push(dir);
  return dir;
}

const subjects: Array<[string, () => Subject]> = [
  [
    'MemoryStore',
    () => {
      const store = new MemoryStore();
      // A memory store has no restart; "reopen" must at least return the same committed data.
      return { store, reopen: () => store };
    },
  ],
  [
    'FileStore',
    () => {
      const dir = tempDir();
      let store = FileStore.open(dir, { sync: false });
      return {
        store,
        reopen: () => {
          store.close();
          store = FileStore.open(dir, { sync: false });
          return store;
        },
      };
    },
  ],
];

function dump(store: PersistentStore): Record<string, string> {
  return Object.fromEntries(store.keys().map((key) => [key, store.get(key)?.toString('hex').toUpperCase() ?? '']));
}

describe.each(subjects)('%s: the PersistentStore contract', (_name, make) => {
  it('starts empty', () => {
    const { store } = make();
    expect(store.keys()).toEqual([]);
    expect(store.get('ep/balance')).toBeUndefined();
  });

  it('round-trips values, including an empty one, and survives a reopen', () => {
    const subject = make();
    subject.store.commit(
      new Map([
        ['ep/balance', BALANCE_10000],
        ['ep/counter', COUNTER_5],
        ['id/empty', EMPTY],
        ['名前', fromHex('E5908D')],
      ]),
    );
    const expected = { 'ep/balance': '00002710', 'ep/counter': '0005', 'id/empty': '', 名前: 'E5908D' };
    expect(dump(subject.store)).toEqual(expected);
    expect(dump(subject.reopen())).toEqual(expected);
  });

  it('deletes keys and ignores deleting an absent key', () => {
    const subject = make();
    subject.store.commit(new Map([['a', COUNTER_5], ['b', COUNTER_6]]));
    subject.store.commit(new Map([['a', null], ['never', null]]));
    expect(subject.store.keys()).toEqual(['b']);
    expect(subject.store.get('a')).toBeUndefined();
    expect(dump(subject.reopen())).toEqual({ b: '0006' });
  });

  it('applies the changes of one commit together, in order, and later commits on top', () => {
    const subject = make();
    subject.store.commit(new Map([['ep/balance', BALANCE_10000], ['ep/counter', COUNTER_5]]));
    subject.store.commit(new Map([['ep/balance', BALANCE_9500], ['ep/counter', COUNTER_6], ['ep/log/06', fromHex('0102')]]));
    expect(dump(subject.reopen())).toEqual({ 'ep/balance': '0000251C', 'ep/counter': '0006', 'ep/log/06': '0102' });
  });

  it('lists keys sorted whatever the insertion order', () => {
    const { store } = make();
    store.commit(new Map([['z', EMPTY], ['a', EMPTY], ['m/2', EMPTY], ['m/10', EMPTY]]));
    expect(store.keys()).toEqual(['a', 'm/10', 'm/2', 'z']);
  });

  it('copies committed values, so the caller may reuse its buffer', () => {
    const { store } = make();
    const scratch = Buffer.from(BALANCE_10000);
    store.commit(new Map([['ep/balance', scratch]]));
    scratch.fill(0xff);
    expect(store.get('ep/balance')).toEqual(BALANCE_10000);
  });

  it('treats an empty change set as a no-op', () => {
    const subject = make();
    subject.store.commit(new Map([['a', COUNTER_5]]));
    subject.store.commit(new Map());
    expect(dump(subject.reopen())).toEqual({ a: '0005' });
  });

  it('rejects a bad key or value and then applies nothing of that commit', () => {
    const { store } = make();
    store.commit(new Map([['a', COUNTER_5]]));
    const tooLongKey = 'k'.repeat(MAX_KEY_BYTES + 1);
    expect(() => store.commit(new Map([['a', COUNTER_6], ['', EMPTY]]))).toThrow(RangeError);
    expect(() => store.commit(new Map([['a', COUNTER_6], [tooLongKey, EMPTY]]))).toThrow(RangeError);
    expect(() => store.commit(new Map([['a', COUNTER_6], ['big', Buffer.alloc(MAX_VALUE_BYTES + 1)]]))).toThrow(RangeError);
    expect(() => store.commit(new Map([['a', COUNTER_6], ['\uD800', EMPTY]]))).toThrow(TypeError);
    expect(() => store.commit(new Map([['a', COUNTER_6], ['s', 'text' as unknown as Uint8Array]]))).toThrow(TypeError);
    expect(dump(store)).toEqual({ a: '0005' });
  });

  it('accepts the longest key and a value of the maximum size', () => {
    const subject = make();
    const longestKey = 'k'.repeat(MAX_KEY_BYTES);
    subject.store.commit(new Map([[longestKey, Buffer.alloc(MAX_VALUE_BYTES, 0x5a)]]));
    const reopened = subject.reopen();
    expect(reopened.get(longestKey)?.length).toBe(MAX_VALUE_BYTES);
    expect(reopened.get(longestKey)?.every((b) => b === 0x5a)).toBe(true);
  });

  it('refuses any use after close', () => {
    const { store } = make();
    store.close();
    store.close();
    expect(() => store.get('a')).toThrow(StorageError);
    expect(() => store.keys()).toThrow(StorageError);
    expect(() => store.commit(new Map([['a', EMPTY]]))).toThrow(/closed/);
  });
});

describe('MemoryStore', () => {
  it('copies its initial values', () => {
    const initial = Buffer.from(COUNTER_5);
    const store = new MemoryStore({ 'ep/counter': initial });
    initial.fill(0);
    expect(store.get('ep/counter')).toEqual(COUNTER_5);
  });
});

describe('FileStore', () => {
  it('creates its directory and the default card.state file, and no other file', () => {
    const dir = join(tempDir(), 'nested', 'state');
    const store = FileStore.open(dir);
    expect(store.path).toBe(join(dir, 'card.state'));
    store.commit(new Map([['a', COUNTER_5]]));
    store.close();
    expect(readdirSync(dir)).toEqual(['card.state']);
  });

  it('uses the given file name and rejects one with a path separator', () => {
    const dir = tempDir();
    FileStore.open(dir, { name: 'psam.state' }).close();
    expect(readdirSync(dir)).toEqual(['psam.state']);
    expect(() => FileStore.open(dir, { name: '../escape.state' })).toThrow(RangeError);
    expect(() => FileStore.open(dir, { compactAfterBytes: -1 })).toThrow(RangeError);
  });

  it('keeps every value through many commits and several compactions', () => {
    let disk = new SimulatedDiskIo();
    const expected = new Map<string, string>();
    let store = FileStore.open('/card', { io: disk, compactAfterBytes: 512 });
    let compactions = 0;
    let lastSize = 0;
    for (let i = 0; i < 600; i++) {
      const key = `ep/log/${i % 37}`;
      const value = Buffer.alloc(i % 50, i & 0xff);
      const changes = new Map<string, Buffer | null>([[key, value], ['ep/counter', Buffer.from([i >> 8, i & 0xff])]]);
      if (i % 7 === 0) changes.set(`ep/log/${(i + 3) % 37}`, null);
      store.commit(changes);
      for (const [k, v] of changes) {
        if (v === null) expected.delete(k);
        else expected.set(k, v.toString('hex').toUpperCase());
      }
      const size = disk.peek('/card/card.state')?.length ?? 0;
      if (size < lastSize) compactions++;
      lastSize = size;
      if (i % 100 === 99) {
        store.close();
        disk = disk.crash('lose-unsynced');
        store = FileStore.open('/card', { io: disk, compactAfterBytes: 512 });
      }
    }
    expect(compactions).toBeGreaterThan(5);
    expect(dump(store)).toEqual(Object.fromEntries([...expected].sort(([a], [b]) => (a < b ? -1 : 1))));
    store.close();
    const reopened = FileStore.open('/card', { io: disk.crash('lose-unsynced') });
    expect(dump(reopened)).toEqual(Object.fromEntries([...expected].sort(([a], [b]) => (a < b ? -1 : 1))));
  });

  it('compacts on request into a file holding only the header and one snapshot', () => {
    const disk = new SimulatedDiskIo();
    const store = FileStore.open('/card', { io: disk });
    for (let i = 0; i < 20; i++) store.commit(new Map([['ep/counter', Buffer.from([0, i])]]));
    const before = disk.peek('/card/card.state')?.length ?? 0;
    store.compact();
    // header 32 + record header 24 + count 4 + entry (1 + 2 + 10 + 4 + 2) + digest 32
    expect(disk.peek('/card/card.state')?.length).toBe(111);
    expect(before).toBeGreaterThan(111);
    store.commit(new Map([['ep/counter', COUNTER_6]]));
    store.close();
    expect(dump(FileStore.open('/card', { io: disk.crash('lose-unsynced') }))).toEqual({ 'ep/counter': '0006' });
    expect(disk.files()).toEqual(['/card/card.state']);
  });
});
