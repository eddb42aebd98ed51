/**
 * EP personalization under the test profile: the exact store contents (EF 0x15, EF 0x12, the four
 * diversified keys, purse record, lifecycle), one commit, refusals that leave the store alone, and
 * the EP file codecs.
 */
import { describe, expect, it } from 'vitest';
import {
  AlreadyPersonalizedError,
  MemoryStore,
  PersonalizationError,
  StoreTransaction,
  VirtualCard,
  type PersistentStore,
} from '@citycard/card-os';
import { fromHex, toHex } from '@citycard/protocols';
import {
  EP_ISSUER_KEY,
  EP_LIFECYCLE_KEY,
  EP_LIMITS_KEY,
  EP_PURSE_KEY,
  EpDataError,
  decodeEpIssuerData,
  decodeEpLogRecord,
  decodePurseLimits,
  decodePurseState,
  encodeEpIssuerData,
  encodeEpLogRecord,
  encodePurseLimits,
  encodePurseState,
  epApplication,
  epKeyStoreKey,
  isEpPersonalized,
  stageEpActivation,
  stageEpKey,
} from '../../card-os/src/applications/ep/index.js';
import { EP_TEST_PROFILE, personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';

const CARD_NUMBER = '1000000000000001';
const FIXED_NOW = new Date('2025-06-01T08:00:00Z');
const EF15 = '0000000000000001' + '02' + '01' + '1000000000000001' + '20250601' + '20350601' + '00' + '000000';
const EF12_DEFAULT = '000186A0' + '0000C350'; // 100000, 50000
// Key version 01 ‖ the §8.2 diversified keys; DAMK from MAMK the same way.
const STORED_DPK = '01' + 'C30E7ECB2FD9DFCD3B4BC7DE47BFD57E';
const STORED_DLK = '01' + '6F1186E96A32127373D84967E33308F1';
const STORED_DTK = '01' + 'BD1FFE3A509BADFD0B97BAF5C21945EB';
const STORED_DAMK = '01' + 'E24236EC125105C04D2341693D465423';
const EP = 'df/F043495459455001';

/** A store that counts commits. */
class CountingStore extends MemoryStore {
  commits = 0;
  override commit(changes: ReadonlyMap<string, Uint8Array | null>): void {
    this.commits++;
    super.commit(changes);
  }
}

function personalize(store: PersistentStore, extra: Partial<Parameters<typeof personalizeEpTestProfile>[1]> = {}): void {
  personalizeEpTestProfile(store, { cardNumber: CARD_NUMBER, balance: 10000, now: FIXED_NOW, timeZone: 'UTC', ...extra });
}

describe('personalizeEpTestProfile', () => {
  it('writes EF 0x15, EF 0x12, the four keys, the purse record and lifecycle in one commit', () => {
    const store = new CountingStore();
    personalize(store);
    expect(store.commits).toBe(1);
    expect(store.keys()).toEqual(
      [
        `${EP}/ef/0012`,
        `${EP}/ef/0015`,
        `${EP}/key/DAMK`,
        `${EP}/key/DLK`,
        `${EP}/key/DPK`,
        `${EP}/key/DTK`,
        `${EP}/lifecycle`,
        `${EP}/purse`,
      ].sort(),
    );
    expect(toHex(store.get(EP_ISSUER_KEY)!)).toBe(EF15);
    expect(toHex(store.get(EP_LIMITS_KEY)!)).toBe(EF12_DEFAULT);
    expect(toHex(store.get(epKeyStoreKey('DPK'))!)).toBe(STORED_DPK);
    expect(toHex(store.get(epKeyStoreKey('DLK'))!)).toBe(STORED_DLK);
    expect(toHex(store.get(epKeyStoreKey('DTK'))!)).toBe(STORED_DTK);
    expect(toHex(store.get(epKeyStoreKey('DAMK'))!)).toBe(STORED_DAMK);
    expect(toHex(store.get(EP_PURSE_KEY)!)).toBe('00002710' + '0000' + '0000');
    expect(toHex(store.get(EP_LIFECYCLE_KEY)!)).toBe('07');
  });

  it('the card reads the files back', () => {
    const store = new MemoryStore();
    personalize(store, { maxBalance: 200000, maxSinglePurchase: 20000, cardType: 1, expiryDate: '20300101' });
    const card = new VirtualCard({ store, applications: [epApplication] });
    card.powerOn();
    const send = (hex: string): string => toHex(card.transmit(fromHex(hex)));
    expect(send('00A4040C08F043495459455001')).toBe('9000');
    expect(send('00B095001E')).toBe('0000000000000001' + '0201' + CARD_NUMBER + '20250601' + '20300101' + '01' + '000000' + '9000');
    expect(send('00B0920008')).toBe('00030D40' + '00004E20' + '9000');
    expect(send('00B0920010')).toBe('00030D40' + '00004E20' + '6282');
    expect(send('00A40000021001')).toMatch(/^6F[0-9A-F]+9000$/); // DF FID 1001
  });

  it('refuses an already personalized EP and changes nothing', () => {
    const store = new CountingStore();
    personalize(store);
    const before = store.keys().map((key) => toHex(store.get(key)!));
    expect(isEpPersonalized(store)).toBe(true);
    expect(() => personalize(store, { balance: 99999 })).toThrow(AlreadyPersonalizedError);
    expect(store.commits).toBe(1);
    expect(store.keys().map((key) => toHex(store.get(key)!))).toEqual(before);
  });

  it('refuses a balance above the max balance, a bad card number or bad dates, writing nothing', () => {
    const store = new CountingStore();
    expect(() => personalize(store, { balance: 100001 })).toThrow(PersonalizationError);
    expect(() => personalize(store, { balance: -1 })).toThrow(PersonalizationError);
    expect(() => personalize(store, { cardNumber: '100000000000000' })).toThrow(PersonalizationError);
    expect(() => personalize(store, { expiryDate: '20250531' })).toThrow(PersonalizationError);
    expect(() => personalize(store, { maxBalance: 2 ** 32 })).toThrow(PersonalizationError);
    expect(store.commits).toBe(0);
    expect(store.keys()).toEqual([]);
    expect(isEpPersonalized(store)).toBe(false);
  });

  it('documents its defaults', () => {
    expect(EP_TEST_PROFILE.maxBalance).toBe(100000);
    expect(EP_TEST_PROFILE.maxSinglePurchase).toBe(50000);
    expect(EP_TEST_PROFILE.keyVersion).toBe(1);
  });
});

describe('the secured path writes the same store keys', () => {
  it('stageEpKey and stageEpActivation after the files give the same store as the test profile', () => {
    const reference = new MemoryStore();
    personalize(reference, { balance: 0 });
    const store = new MemoryStore();
    const tx = new StoreTransaction(store);
    tx.set(EP_ISSUER_KEY, fromHex(EF15));
    tx.set(EP_LIMITS_KEY, fromHex(EF12_DEFAULT));
    stageEpKey(tx, 'DPK', 1, fromHex(STORED_DPK.slice(2)));
    stageEpKey(tx, 'DLK', 1, fromHex(STORED_DLK.slice(2)));
    stageEpKey(tx, 'DTK', 1, fromHex(STORED_DTK.slice(2)));
    stageEpKey(tx, 'DAMK', 1, fromHex(STORED_DAMK.slice(2)));
    tx.commit();
    const activation = new StoreTransaction(store);
    stageEpActivation(activation);
    activation.commit();
    expect(store.keys()).toEqual(reference.keys());
    for (const key of reference.keys()) expect(store.get(key), key).toEqual(reference.get(key));
  });

  it('stageEpActivation needs EF 0x12 and a balance within it', () => {
    const store = new MemoryStore();
    expect(() => stageEpActivation(new StoreTransaction(store))).toThrow(PersonalizationError);
    const tx = new StoreTransaction(store);
    tx.set(EP_LIMITS_KEY, fromHex(EF12_DEFAULT));
    expect(() => stageEpActivation(tx, 100001)).toThrow(PersonalizationError);
    stageEpActivation(tx, 100000);
    expect(toHex(tx.get(EP_PURSE_KEY)!)).toBe('000186A000000000');
  });

  it('stageEpKey refuses a version 0 or a short key', () => {
    const tx = new StoreTransaction(new MemoryStore());
    expect(() => stageEpKey(tx, 'DPK', 0, Buffer.alloc(16))).toThrow(RangeError);
    expect(() => stageEpKey(tx, 'DPK', 1, Buffer.alloc(8))).toThrow(RangeError);
  });
});

describe('EP file codecs', () => {
  it('EF 0x15 round trip and refusals', () => {
    const data = decodeEpIssuerData(fromHex(EF15));
    expect(data).toEqual({
      issuerId: '0000000000000001',
      appVersion: 1,
      cardNumber: CARD_NUMBER,
      effectiveDate: '20250601',
      expiryDate: '20350601',
      cardType: 0,
    });
    expect(toHex(encodeEpIssuerData(data))).toBe(EF15);
    expect(() => decodeEpIssuerData(fromHex(EF15.slice(2)))).toThrow(EpDataError);
    expect(() => decodeEpIssuerData(fromHex(EF15.slice(0, 16) + '03' + EF15.slice(18)))).toThrow(EpDataError);
    expect(() => decodeEpIssuerData(fromHex(EF15.replace('20250601', '20251301')))).toThrow(EpDataError);
    expect(() => encodeEpIssuerData({ ...data, issuerId: '01' })).toThrow(EpDataError);
    expect(() => encodeEpIssuerData({ ...data, cardNumber: '10000000000000A1' })).toThrow(EpDataError);
  });

  it('EF 0x12, the purse record and a log record round trip', () => {
    expect(toHex(encodePurseLimits({ maxBalance: 100000, maxSinglePurchase: 50000 }))).toBe(EF12_DEFAULT);
    expect(decodePurseLimits(fromHex(EF12_DEFAULT))).toEqual({ maxBalance: 100000, maxSinglePurchase: 50000 });
    expect(toHex(encodePurseState({ balance: 9750, onlineCounter: 2, offlineCounter: 6 }))).toBe('0000261600020006');
    expect(decodePurseState(fromHex('0000261600020006'))).toEqual({ balance: 9750, onlineCounter: 2, offlineCounter: 6 });
    expect(() => encodePurseState({ balance: 0, onlineCounter: 0x10000, offlineCounter: 0 })).toThrow(RangeError);
    const LOG = '0005' + '000000' + '000000FA' + '06' + '000000000001' + '20261123' + '093000';
    const record = { counter: 5, amount: 250, type: 6, terminal: fromHex('000000000001'), date: fromHex('20261123'), time: fromHex('093000') };
    expect(toHex(encodeEpLogRecord(record))).toBe(LOG);
    expect(decodeEpLogRecord(fromHex(LOG))).toEqual({ ...record, overdraftLimit: 0 });
    expect(() => encodeEpLogRecord({ ...record, terminal: fromHex('0001') })).toThrow(RangeError);
  });
});
