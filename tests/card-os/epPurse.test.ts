/**
 * The EP application end to end through the card (spec §4, vectors §8.2): SELECT and its FCI,
 * the worked purchase and load of §8.2 byte for byte (the terminal side computes MAC1 and MAC2
 * with the protocols functions, as the PSAM and the HSM would), GET BALANCE, the log records and
 * their cyclic wrap, and GET TRANSACTION PROOF.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, StoreTransaction, VirtualCard, type RandomSource } from '@citycard/card-os';
import {
  diversifyKey,
  fromHex,
  loadMac2,
  loadSessionKey,
  purchaseMac1,
  purchaseSessionKey,
  toHex,
} from '@citycard/protocols';
import { EP_PURSE_KEY, encodePurseState, epApplication, type PurseState } from '../../card-os/src/applications/ep/index.js';
import { personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';

const CARD_NUMBER = '1000000000000001';
const FIXED_NOW = new Date('2025-06-01T08:00:00Z');
// §8.2 card keys, as the PSAM (DPK from MPK) and the HSM (DLK from MLK) derive them.
const DPK = fromHex('C30E7ECB2FD9DFCD3B4BC7DE47BFD57E');
const DLK = fromHex('6F1186E96A32127373D84967E33308F1');
const TERMINAL = '000000000001';
const DATE = '20261123';
const TIME = '093000';

const SELECT_EP_CMD = '00A4040008F04349545945500100';
const EF15 = '0000000000000001' + '02' + '01' + '1000000000000001' + '20250601' + '20350601' + '00' + '000000';
const SELECT_EP_RSP = '6F2D' + '8408F043495459455001' + 'A521' + '9F0C1E' + EF15 + '9000';

// §8.2 purchase: 250 at terminal 000000000001, random A1B2C3D4, offline counter 0005, TTSN 00000102.
const PURCHASE_RANDOM = 'A1B2C3D4';
const INIT_PURCHASE_250_CMD = '805001020B' + '01' + '000000FA' + TERMINAL + '0F';
const INIT_PURCHASE_250_RSP = '00002710' + '0005' + '000000' + '01' + '00' + PURCHASE_RANDOM + '9000';
const PURCHASE_MAC1 = 'AE47C133';
const DEBIT_250_CMD = '805401000F' + '00000102' + DATE + TIME + PURCHASE_MAC1 + '08';
const DEBIT_250_RSP = 'A0F363C7' + '0DEF3FA3' + '9000'; // TAC ‖ MAC2
const PURCHASE_250_LOG = '0005' + '000000' + '000000FA' + '06' + TERMINAL + DATE + TIME;

// §8.2 load: 5000 onto 10000, random 0F1E2D3C, online counter 0002, same terminal and time.
const LOAD_RANDOM = '0F1E2D3C';
const INIT_LOAD_5000_CMD = '805000020B' + '01' + '00001388' + TERMINAL + '10';
const INIT_LOAD_5000_RSP = '00002710' + '0002' + '01' + '00' + LOAD_RANDOM + '1395117E' + '9000';
const LOAD_MAC2 = 'DCBB1D14';
const CREDIT_5000_CMD = '805200000B' + DATE + TIME + LOAD_MAC2 + '04';
const CREDIT_5000_RSP = 'CC3A082D' + '9000';
const LOAD_5000_LOG = '0002' + '000000' + '00001388' + '02' + TERMINAL + DATE + TIME;

const GET_BALANCE_CMD = '805C000204';
const READ_LOG_1_CMD = '00B201C417';
const READ_LOG_2_CMD = '00B202C417';
const READ_LOG_3_CMD = '00B203C417';
const READ_LOG_10_CMD = '00B20AC417';
const READ_LOG_11_CMD = '00B20BC417';
const PROOF_PURCHASE_0006_CMD = '805A00060200' + '0608';
const PROOF_PURCHASE_0007_CMD = '805A0006020007';
const PROOF_LOAD_0003_CMD = '805A0002020003';
const PROOF_LOAD_0006_CMD = '805A0002020006';
const SW_9406 = '9406';

/** A random source that hands out the given values in order (hex), then fails the test. */
function queuedRandom(...values: string[]): RandomSource {
  const queue = [...values];
  return (length) => {
    const next = queue.shift();
    if (next === undefined) throw new Error('random source exhausted');
    const bytes = fromHex(next);
    expect(bytes.length).toBe(length);
    return bytes;
  };
}

/** A MemoryStore personalized for the §8.2 card with balance 10000 and the given counters. */
function personalizedStore(purse: Partial<PurseState> = {}): MemoryStore {
  const store = new MemoryStore();
  personalizeEpTestProfile(store, { cardNumber: CARD_NUMBER, balance: 10000, now: FIXED_NOW, timeZone: 'UTC' });
  const tx = new StoreTransaction(store);
  tx.set(EP_PURSE_KEY, encodePurseState({ balance: 10000, onlineCounter: 2, offlineCounter: 5, ...purse }));
  tx.commit();
  return store;
}

function cardOn(store: MemoryStore, random: RandomSource, bugs: unknown[] = []): VirtualCard {
  const card = new VirtualCard({ store, applications: [epApplication], random, onInternalError: (err) => bugs.push(err) });
  card.powerOn();
  return card;
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

/** The terminal side of a purchase: INITIALIZE, MAC1 as the PSAM computes it, DEBIT. Returns the DEBIT answer. */
function purchase(card: VirtualCard, amount: number, ttsn: number): string {
  const amountHex = amount.toString(16).toUpperCase().padStart(8, '0');
  const init = fromHex(send(card, `805001020B01${amountHex}${TERMINAL}0F`));
  expect(toHex(init.subarray(-2))).toBe('9000');
  const sespk = purchaseSessionKey(DPK, init.subarray(11, 15), init.readUInt16BE(4), ttsn);
  const mac1 = purchaseMac1(sespk, { amount, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
  const ttsnHex = ttsn.toString(16).toUpperCase().padStart(8, '0');
  return send(card, `805401000F${ttsnHex}${DATE}${TIME}${toHex(mac1)}08`);
}

/** The terminal and HSM side of a load: INITIALIZE, MAC2 as the HSM computes it, CREDIT. Returns the CREDIT answer. */
function load(card: VirtualCard, amount: number): string {
  const amountHex = amount.toString(16).toUpperCase().padStart(8, '0');
  const init = fromHex(send(card, `805000020B01${amountHex}${TERMINAL}10`));
  expect(toHex(init.subarray(-2))).toBe('9000');
  const seslk = loadSessionKey(DLK, init.subarray(8, 12), init.readUInt16BE(4));
  const mac2 = loadMac2(seslk, { amount, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
  return send(card, `805200000B${DATE}${TIME}${toHex(mac2)}04`);
}

describe('EP: SELECT and keys', () => {
  it('SELECT by AID answers the FCI with EF 0x15 in 9F0C', () => {
    const card = cardOn(personalizedStore(), queuedRandom());
    expect(send(card, SELECT_EP_CMD)).toBe(SELECT_EP_RSP);
    expect(send(card, '00B095001E')).toBe(EF15 + '9000');
  });

  it('the test profile diversifies the §8.2 card keys', () => {
    const card = fromHex(CARD_NUMBER);
    expect(diversifyKey(fromHex('11223344556677888877665544332211'), card)).toEqual(DPK);
    expect(diversifyKey(fromHex('2233445566778899AABBCCDDEEFF0011'), card)).toEqual(DLK);
  });
});

describe('EP: the §8.2 worked example through the card', () => {
  it('purchase of 250: MAC1 AE47C133 accepted, MAC2 0DEF3FA3 and TAC A0F363C7 returned', () => {
    const store = personalizedStore();
    const card = cardOn(store, queuedRandom(PURCHASE_RANDOM));
    send(card, SELECT_EP_CMD);
    expect(send(card, INIT_PURCHASE_250_CMD)).toBe(INIT_PURCHASE_250_RSP);
    // The terminal side: MAC1 as the PSAM computes it from the INITIALIZE answer.
    const sespk = purchaseSessionKey(DPK, fromHex(PURCHASE_RANDOM), 5, 0x102);
    expect(toHex(sespk)).toBe('C7482DD2D2026955');
    const mac1 = purchaseMac1(sespk, { amount: 250, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
    expect(toHex(mac1)).toBe(PURCHASE_MAC1);
    expect(send(card, DEBIT_250_CMD)).toBe(DEBIT_250_RSP);
    expect(send(card, GET_BALANCE_CMD)).toBe('000026169000'); // 9750
    expect(send(card, READ_LOG_1_CMD)).toBe(PURCHASE_250_LOG + '9000');
    expect(send(card, READ_LOG_2_CMD)).toBe('6A83');
    expect(toHex(store.get(EP_PURSE_KEY)!)).toBe('00002616' + '0002' + '0006');
  });

  it('load of 5000 onto 10000: MAC1 1395117E, MAC2 DCBB1D14 accepted, TAC CC3A082D', () => {
    const store = personalizedStore();
    const card = cardOn(store, queuedRandom(LOAD_RANDOM));
    send(card, SELECT_EP_CMD);
    expect(send(card, INIT_LOAD_5000_CMD)).toBe(INIT_LOAD_5000_RSP);
    const seslk = loadSessionKey(DLK, fromHex(LOAD_RANDOM), 2);
    expect(toHex(seslk)).toBe('0CEE605BBCA6E122');
    const mac2 = loadMac2(seslk, { amount: 5000, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
    expect(toHex(mac2)).toBe(LOAD_MAC2);
    expect(send(card, CREDIT_5000_CMD)).toBe(CREDIT_5000_RSP);
    expect(send(card, GET_BALANCE_CMD)).toBe('00003A989000'); // 15000
    expect(send(card, READ_LOG_1_CMD)).toBe(LOAD_5000_LOG + '9000');
    expect(toHex(store.get(EP_PURSE_KEY)!)).toBe('00003A98' + '0003' + '0005');
  });

  it('load then purchase on one card: both logged newest first, both proofs kept', () => {
    const card = cardOn(personalizedStore(), queuedRandom(LOAD_RANDOM, PURCHASE_RANDOM));
    send(card, SELECT_EP_CMD);
    expect(send(card, INIT_LOAD_5000_CMD)).toBe(INIT_LOAD_5000_RSP);
    expect(send(card, CREDIT_5000_CMD)).toBe(CREDIT_5000_RSP);
    expect(send(card, INIT_PURCHASE_250_CMD)).toBe('00003A98' + '0005' + '000000' + '01' + '00' + PURCHASE_RANDOM + '9000');
    expect(send(card, DEBIT_250_CMD)).toBe(DEBIT_250_RSP);
    expect(send(card, GET_BALANCE_CMD)).toBe('0000399E9000'); // 14750
    expect(send(card, READ_LOG_1_CMD)).toBe(PURCHASE_250_LOG + '9000');
    expect(send(card, READ_LOG_2_CMD)).toBe(LOAD_5000_LOG + '9000');
    expect(send(card, READ_LOG_3_CMD)).toBe('6A83');
    expect(send(card, PROOF_PURCHASE_0006_CMD)).toBe('0DEF3FA3' + 'A0F363C7' + '9000'); // MAC2 ‖ TAC
    expect(send(card, PROOF_LOAD_0003_CMD)).toBe(LOAD_MAC2 + 'CC3A082D' + '9000');
  });
});

describe('EP: GET TRANSACTION PROOF', () => {
  it('answers 9406 for a counter no committed transaction left', () => {
    const card = cardOn(personalizedStore(), queuedRandom(PURCHASE_RANDOM));
    send(card, SELECT_EP_CMD);
    expect(send(card, PROOF_PURCHASE_0006_CMD)).toBe(SW_9406);
    send(card, INIT_PURCHASE_250_CMD);
    expect(send(card, DEBIT_250_CMD)).toBe(DEBIT_250_RSP);
    expect(send(card, PROOF_PURCHASE_0006_CMD)).toBe('0DEF3FA3A0F363C79000');
    expect(send(card, PROOF_PURCHASE_0007_CMD)).toBe(SW_9406);
    // Counters of the two types are apart: no load left the online counter at 0006.
    expect(send(card, PROOF_LOAD_0006_CMD)).toBe(SW_9406);
  });

  it('keeps the last ten proofs of a type', () => {
    const card = cardOn(personalizedStore(), queuedRandom(...Array.from({ length: 11 }, (_, i) => `0000000${i}`.slice(-8))));
    send(card, SELECT_EP_CMD);
    const answers = Array.from({ length: 11 }, (_, i) => purchase(card, 10 + i, 0x200 + i));
    for (const answer of answers) expect(answer.slice(-4)).toBe('9000');
    // Counters after: 0006 .. 0010. The oldest (0006) dropped off.
    expect(send(card, '805A0006020006')).toBe(SW_9406);
    for (let i = 1; i < 11; i++) {
      const counter = (6 + i).toString(16).toUpperCase().padStart(4, '0');
      const debit = answers[i]!;
      expect(send(card, `805A000602${counter}`)).toBe(debit.slice(8, 16) + debit.slice(0, 8) + '9000');
    }
  });

  it('checks P1-P2 and lengths', () => {
    const card = cardOn(personalizedStore(), queuedRandom());
    send(card, SELECT_EP_CMD);
    expect(send(card, '805A0001020006')).toBe('6A86');
    expect(send(card, '805A0106020006')).toBe('6A86');
    expect(send(card, '805A000601FF')).toBe('6700');
    expect(send(card, '805A0006020006' + '04')).toBe('6700');
    expect(send(card, '805A0006020006' + '00')).toBe(SW_9406);
  });
});

describe('EP: the cyclic log', () => {
  it('keeps ten records of 23 bytes, newest first, and drops the oldest', () => {
    const randoms = Array.from({ length: 12 }, (_, i) => `1000000${i.toString(16)}`.toUpperCase().slice(-8));
    const card = cardOn(personalizedStore({ balance: 60000 }), queuedRandom(...randoms));
    send(card, SELECT_EP_CMD);
    expect(load(card, 1000).slice(-4)).toBe('9000'); // online 0002 → 0003
    for (let i = 1; i <= 10; i++) expect(purchase(card, 100 * i, 0x300 + i).slice(-4)).toBe('9000');
    // 11 records written: the load fell off.
    const record = (counter: number, amount: number): string =>
      counter.toString(16).toUpperCase().padStart(4, '0') +
      '000000' +
      amount.toString(16).toUpperCase().padStart(8, '0') +
      '06' +
      TERMINAL +
      DATE +
      TIME;
    expect(send(card, READ_LOG_1_CMD)).toBe(record(5 + 9, 1000) + '9000');
    expect(send(card, READ_LOG_10_CMD)).toBe(record(5, 100) + '9000');
    expect(send(card, READ_LOG_11_CMD)).toBe('6A83');
    expect(send(card, GET_BALANCE_CMD)).toBe((60000 + 1000 - 5500).toString(16).toUpperCase().padStart(8, '0') + '9000');
    // One more purchase: record 10 is now the second purchase.
    expect(purchase(card, 1, 0x400).slice(-4)).toBe('9000');
    expect(send(card, READ_LOG_1_CMD)).toBe(record(15, 1) + '9000');
    expect(send(card, READ_LOG_10_CMD)).toBe(record(6, 200) + '9000');
  });

  it('READ RECORD needs an Le of at least 23', () => {
    const card = cardOn(personalizedStore(), queuedRandom(PURCHASE_RANDOM));
    send(card, SELECT_EP_CMD);
    send(card, INIT_PURCHASE_250_CMD);
    send(card, DEBIT_250_CMD);
    expect(send(card, '00B201C416')).toBe('6700');
    expect(send(card, '00B201C400')).toBe(PURCHASE_250_LOG + '9000');
  });
});
