import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LoadRecord, PendingPurchase, PurchaseRecord } from '@citycard/terminal-agent';
import {
  IntentMismatchError,
  IntentNotFoundError,
  IntentStateError,
  RecordNotFoundError,
  RecordStore,
  STORE_SCHEMA_VERSION,
  StoreVersionError,
} from '../../terminal-agent/src/store/index.js';

const TRAIL_ENTRY = {
  seq: 0,
  slot: 'card',
  name: 'SELECT',
  at: '2026-11-23T09:30:00.000Z',
  command: '00A4040008F04349545945500100',
  response: '9000',
} as const;

const PENDING: PendingPurchase = {
  kind: 'purchase',
  cardNumber: '1000000000000001',
  amount: 250,
  terminal: '000000000001',
  date: '20261123',
  time: '093000',
  balanceBefore: 10000,
  keyVersion: 1,
  algorithmId: 0,
  trail: [TRAIL_ENTRY],
  offlineCounter: 5,
  ttsn: 0x102,
};

const PURCHASE: PurchaseRecord = {
  ...PENDING,
  trail: [],
  mac2: '0DEF3FA3',
  tac: 'A0F363C7',
  mac2Verified: true,
  recovered: false,
};

const LOAD: LoadRecord = {
  kind: 'load',
  cardNumber: '1000000000000001',
  amount: 5000,
  terminal: '000000000001',
  date: '20261123',
  time: '093000',
  balanceBefore: 10000,
  keyVersion: 1,
  algorithmId: 0,
  trail: [],
  onlineCounter: 2,
  mac2: 'DCBB1D14',
  tac: 'CC3A082D',
  tacVerified: true,
  recovered: false,
};

const OTHER_CARD = '1000000000000002';
const T0 = new Date('2026-11-23T09:30:00.000Z');
const T1 = new Date('2026-11-23T09:31:00.000Z');
const T2 = new Date('2026-11-23T09:32:00.000Z');

/** The purchase after PENDING on the same card: counter 6, TTSN 0x103. */
const NEXT_PENDING: PendingPurchase = { ...PENDING, offlineCounter: 6, ttsn: 0x103, amount: 100, time: '093100' };
const NEXT_PURCHASE: PurchaseRecord = { ...PURCHASE, offlineCounter: 6, ttsn: 0x103, amount: 100, time: '093100' };

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-records-'));
  file = path.join(dir, 'records.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function withStore(run: (store: RecordStore) => void): void {
  const store = new RecordStore(file);
  try {
    run(store);
  } finally {
    store.close();
  }
}

describe('terminal record store', () => {
  it('stores a record once and keeps it across reopening', () => {
    const store = new RecordStore(file);
    expect(store.put(PURCHASE)).toBe(true);
    expect(store.put(PURCHASE)).toBe(false);
    store.close();
    const again = new RecordStore(file);
    expect(again.count()).toBe(1);
    again.close();
  });

  it('treats the same (card, offline counter) or the same (terminal, TTSN) as the same purchase', () => {
    withStore((store) => {
      expect(store.put(PURCHASE)).toBe(true);
      expect(store.put({ ...PURCHASE, ttsn: 0x103 })).toBe(false);
      expect(store.put({ ...PURCHASE, cardNumber: '1000000000000002' })).toBe(false);
      expect(store.put({ ...PURCHASE, offlineCounter: 6, ttsn: 0x103 })).toBe(true);
      expect(store.count()).toBe(2);
    });
  });
});

describe('purchase intents', () => {
  it('writes intents durably and lists the pending ones, oldest first, per card', () => {
    withStore((store) => {
      expect(store.writeIntent(PENDING, T0)).toBe(1);
      expect(store.writeIntent({ ...PENDING, cardNumber: OTHER_CARD, ttsn: 0x200 }, T1)).toBe(2);
    });
    withStore((store) => {
      expect(store.pendingIntents()).toEqual([
        { id: 1, pending: PENDING, writtenAt: T0, status: 'pending', detail: undefined, recordId: undefined, resolvedAt: undefined },
        {
          id: 2,
          pending: { ...PENDING, cardNumber: OTHER_CARD, ttsn: 0x200 },
          writtenAt: T1,
          status: 'pending',
          detail: undefined,
          recordId: undefined,
          resolvedAt: undefined,
        },
      ]);
      expect(store.pendingIntents(OTHER_CARD).map((i) => i.id)).toEqual([2]);
      expect(store.pendingIntents('1999999999999999')).toEqual([]);
    });
  });

  it('returns the same id for the same pending purchase, and refuses a reused (terminal, TTSN)', () => {
    withStore((store) => {
      expect(store.writeIntent(PENDING, T0)).toBe(1);
      expect(store.writeIntent(PENDING, T1)).toBe(1);
      expect(() => store.writeIntent({ ...PENDING, cardNumber: OTHER_CARD }, T1)).toThrow(IntentMismatchError);
      expect(store.pendingIntents()).toHaveLength(1);
    });
  });

  it('stores the record and resolves the intent together, once', () => {
    withStore((store) => {
      const id = store.writeIntent(PENDING, T0);
      expect(store.completeIntent(id, PURCHASE, T1)).toBe(true);
      expect(store.count()).toBe(1);
      expect(store.pendingIntents()).toEqual([]);
      expect(store.intent(id)).toEqual({
        id,
        pending: PENDING,
        writtenAt: T0,
        status: 'completed',
        detail: undefined,
        recordId: 1,
        resolvedAt: T1,
      });
      expect(store.completeIntent(id, PURCHASE, T2)).toBe(false);
      expect(store.intent(id)?.resolvedAt).toEqual(T1);
      expect(store.purchases(PENDING.cardNumber)).toEqual([PURCHASE]);
    });
  });

  it('resolves a recovered record as recovered', () => {
    withStore((store) => {
      const id = store.writeIntent(PENDING, T0);
      const recovered: PurchaseRecord = { ...PURCHASE, mac2Verified: false, recovered: true };
      store.completeIntent(id, recovered, T1);
      expect(store.intent(id)?.status).toBe('recovered');
      expect(store.intent(id)?.recordId).toBe(1);
    });
  });

  it('refuses a record that is not the intent purchase, and changes nothing', () => {
    withStore((store) => {
      const id = store.writeIntent(PENDING, T0);
      expect(() => store.completeIntent(id, { ...PURCHASE, amount: 251 }, T1)).toThrow(IntentMismatchError);
      expect(() => store.completeIntent(id, { ...PURCHASE, ttsn: 0x103 }, T1)).toThrow(IntentMismatchError);
      expect(() => store.completeIntent(99, PURCHASE, T1)).toThrow(IntentNotFoundError);
      expect(store.count()).toBe(0);
      expect(store.intent(id)?.status).toBe('pending');
    });
  });

  it('rolls the record back when the intent cannot be resolved with it', () => {
    withStore((store) => {
      // Another card's purchase already holds terminal 000000000001 TTSN 0x102.
      expect(store.put({ ...PURCHASE, cardNumber: OTHER_CARD, offlineCounter: 9 })).toBe(true);
      const id = store.writeIntent(PENDING, T0);
      expect(() => store.completeIntent(id, PURCHASE, T1)).toThrow(IntentMismatchError);
      expect(store.count()).toBe(1);
      expect(store.purchases(PENDING.cardNumber)).toEqual([]);
      expect(store.intent(id)?.status).toBe('pending');
    });
  });

  it('resolves notCommitted and unrecoverable with their detail, once', () => {
    withStore((store) => {
      const a = store.writeIntent(PENDING, T0);
      const b = store.writeIntent(NEXT_PENDING, T0);
      store.resolveIntent(a, 'notCommitted', 'the card has no proof: 9406', T1);
      store.resolveIntent(a, 'notCommitted', 'again', T2);
      expect(store.intent(a)).toEqual({
        id: a,
        pending: PENDING,
        writtenAt: T0,
        status: 'notCommitted',
        detail: 'the card has no proof: 9406',
        recordId: undefined,
        resolvedAt: T1,
      });
      expect(() => store.resolveIntent(a, 'unrecoverable', 'x', T2)).toThrow(IntentStateError);
      expect(() => store.completeIntent(a, PURCHASE, T2)).toThrow(IntentStateError);
      expect(() => store.resolveIntent(42, 'notCommitted', 'x', T2)).toThrow(IntentNotFoundError);

      store.resolveIntent(b, 'unrecoverable', 'the card moved on to counter 9 and has no proof for 7', T1);
      expect(store.unrecoverableIntents()).toEqual([
        {
          id: b,
          pending: NEXT_PENDING,
          writtenAt: T0,
          status: 'unrecoverable',
          detail: 'the card moved on to counter 9 and has no proof for 7',
          recordId: undefined,
          resolvedAt: T1,
        },
      ]);
      expect(store.pendingIntents()).toEqual([]);
    });
  });

  it('resolves recovered only when the record of the intent is stored', () => {
    withStore((store) => {
      const id = store.writeIntent(PENDING, T0);
      expect(() => store.resolveIntent(id, 'recovered', 'proof', T1)).toThrow(IntentMismatchError);
      store.put({ ...PURCHASE, recovered: true }, T1);
      store.resolveIntent(id, 'recovered', 'proof', T1);
      expect(store.intent(id)?.status).toBe('recovered');
      expect(store.intent(id)?.recordId).toBe(1);
    });
  });

  it('expires intents written before a moment as unrecoverable', () => {
    withStore((store) => {
      store.writeIntent(PENDING, T0);
      store.writeIntent(NEXT_PENDING, T1);
      expect(store.expireIntents(T1, 'not presented again', T2)).toBe(1);
      expect(store.expireIntents(T1, 'not presented again', T2)).toBe(0);
      expect(store.unrecoverableIntents().map((i) => [i.id, i.detail, i.resolvedAt])).toEqual([[1, 'not presented again', T2]]);
      expect(store.pendingIntents().map((i) => i.id)).toEqual([2]);
    });
  });
});

describe('spend ledger', () => {
  it('sums stored purchases and intents that may have debited, per card, since a moment', () => {
    withStore((store) => {
      store.put(PURCHASE, T0); // 250 at T0
      store.put(LOAD, T1); // loads are not spending
      store.put({ ...PURCHASE, cardNumber: OTHER_CARD, ttsn: 0x300 }, T1); // another card
      const completed = store.writeIntent(NEXT_PENDING, T1); // 100, completed: counts once
      store.completeIntent(completed, NEXT_PURCHASE, T1);
      store.writeIntent({ ...PENDING, offlineCounter: 7, ttsn: 0x104, amount: 40 }, T1); // pending: counts
      const dropped = store.writeIntent({ ...PENDING, offlineCounter: 7, ttsn: 0x105, amount: 1000 }, T2);
      store.resolveIntent(dropped, 'notCommitted', 'counter did not move', T2); // never debited
      const lost = store.writeIntent({ ...PENDING, offlineCounter: 8, ttsn: 0x106, amount: 7 }, T2);
      store.resolveIntent(lost, 'unrecoverable', 'no proof', T2); // may have debited: counts

      expect(store.purchasedSince(PENDING.cardNumber, T0)).toBe(250 + 100 + 40 + 7);
      expect(store.purchasedSince(PENDING.cardNumber, T1)).toBe(100 + 40 + 7);
      expect(store.purchasedSince(PENDING.cardNumber, T2)).toBe(7);
      expect(store.purchasedSince(OTHER_CARD, T0)).toBe(250);
      expect(store.purchasedSince('1999999999999999', T0)).toBe(0);
    });
  });
});

describe('upload outbox', () => {
  it('hands out records oldest first and marks batches all or none', () => {
    withStore((store) => {
      store.put(PURCHASE, T0);
      store.put(LOAD, T0);
      store.put(NEXT_PURCHASE, T1);
      expect(store.uploadBacklog()).toBe(3);
      expect(store.unuploaded(2)).toEqual([
        { id: 1, record: PURCHASE },
        { id: 2, record: LOAD },
      ]);
      expect(store.unuploaded(0)).toEqual([]);

      store.markUploaded([1, 2], 'batch-A', T1);
      expect(store.uploadBacklog()).toBe(1);
      expect(store.unuploaded(10)).toEqual([{ id: 3, record: NEXT_PURCHASE }]);

      expect(() => store.markUploaded([3, 99], 'batch-B', T2)).toThrow(RecordNotFoundError);
      expect(store.uploadBacklog()).toBe(1);
      expect(() => store.markUploaded([3], '', T2)).toThrow(RangeError);
      expect(() => store.unuploaded(-1)).toThrow(RangeError);

      // Marking again keeps the first batch.
      store.markUploaded([1, 3], 'batch-B', T2);
      expect(store.uploadBacklog()).toBe(0);
    });
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT id, uploaded_batch, uploaded_at FROM purse_record ORDER BY id').all()).toEqual([
      { id: 1, uploaded_batch: 'batch-A', uploaded_at: T1.toISOString() },
      { id: 2, uploaded_batch: 'batch-A', uploaded_at: T1.toISOString() },
      { id: 3, uploaded_batch: 'batch-B', uploaded_at: T2.toISOString() },
    ]);
    db.close();
  });
});

describe('schema versions', () => {
  // The store as it was written before it had a version (user_version 0).
  const VERSION_0_SCHEMA = `
CREATE TABLE purse_record (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('purchase', 'load')), card_number TEXT NOT NULL,
  counter INTEGER NOT NULL, terminal TEXT NOT NULL, ttsn INTEGER, amount INTEGER NOT NULL CHECK (amount > 0),
  date TEXT NOT NULL, time TEXT NOT NULL, tac TEXT NOT NULL, record TEXT NOT NULL, stored_at TEXT NOT NULL,
  UNIQUE (kind, card_number, counter)
);
CREATE UNIQUE INDEX purse_record_ttsn ON purse_record (terminal, ttsn) WHERE kind = 'purchase';`;

  it('upgrades a store file written before versioning, keeping its records', () => {
    const old = new Database(file);
    old.exec(VERSION_0_SCHEMA);
    old
      .prepare(
        `INSERT INTO purse_record (kind, card_number, counter, terminal, ttsn, amount, date, time, tac, record, stored_at)
         VALUES ('purchase', '1000000000000001', 5, '000000000001', 258, 250, '20261123', '093000', 'A0F363C7', ?, ?)`,
      )
      .run(JSON.stringify(PURCHASE), T0.toISOString());
    old.close();

    withStore((store) => {
      expect(store.count()).toBe(1);
      expect(store.uploadBacklog()).toBe(1);
      expect(store.unuploaded(5)).toEqual([{ id: 1, record: PURCHASE }]);
      expect(store.purchasedSince(PURCHASE.cardNumber, T0)).toBe(250);
      expect(store.put(PURCHASE)).toBe(false);
      expect(store.writeIntent(NEXT_PENDING, T1)).toBe(1);
    });
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(STORE_SCHEMA_VERSION);
    expect(STORE_SCHEMA_VERSION).toBe(2);
    db.close();
  });

  it('refuses a store file written by newer software and leaves it alone', () => {
    const newer = new Database(file);
    newer.pragma('user_version = 3');
    newer.close();
    expect(() => new RecordStore(file)).toThrow(StoreVersionError);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all()).toEqual([]);
    db.close();
  });
});
