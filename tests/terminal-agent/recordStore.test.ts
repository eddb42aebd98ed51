import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordStore, type PurchaseRecord } from '@citycard/terminal-agent';

const PURCHASE: PurchaseRecord = {
  kind: 'purchase',
  cardNumber: '1000000000000001',
  amount: 250,
  terminal: '000000000001',
  date: '20261123',
  time: '093000',
  balanceBefore: 10000,
  keyVersion: 1,
  algorithmId: 0,
  trail: [],
  offlineCounter: 5,
  ttsn: 0x102,
  mac2: '0DEF3FA3',
  tac: 'A0F363C7',
  mac2Verified: true,
  recovered: false,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-records-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('terminal record store', () => {
  it('stores a record once and keeps it across reopening', () => {
    const file = path.join(dir, 'records.sqlite');
    const store = new RecordStore(file);
    expect(store.put(PURCHASE)).toBe(true);
    expect(store.put(PURCHASE)).toBe(false);
    store.close();
    const again = new RecordStore(file);
    expect(again.count()).toBe(1);
    again.close();
  });

  it('treats the same (card, offline counter) or the same (terminal, TTSN) as the same purchase', () => {
    const store = new RecordStore(path.join(dir, 'records.sqlite'));
    expect(store.put(PURCHASE)).toBe(true);
    expect(store.put({ ...PURCHASE, ttsn: 0x103 })).toBe(false);
    expect(store.put({ ...PURCHASE, cardNumber: '1000000000000002' })).toBe(false);
    expect(store.put({ ...PURCHASE, offlineCounter: 6, ttsn: 0x103 })).toBe(true);
    expect(store.count()).toBe(2);
    store.close();
  });
});
