/**
 * Power cuts inside DEBIT FOR PURCHASE and CREDIT FOR LOAD (spec §4, §6): on a FileStore behind
 * FaultyIo, cut the power at every write point of the command (torn writes of none, half, all but
 * one byte and all of the record), reopen the card from disk and check that balance, counter, log
 * and proof are all as before or all as after, that balance + logged purchases = start balance +
 * logged loads, and that GET TRANSACTION PROOF gives the terminal the MAC2 and TAC exactly when
 * the transaction committed (the §8.2 values when the answer was lost after the commit).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultyIo, FileStore, StoreTransaction, VirtualCard, nodeStorageIo, type RandomSource, type TornBytes } from '@citycard/card-os';
import {
  EP_LOAD,
  EP_PURCHASE,
  fromHex,
  loadMac2,
  loadSessionKey,
  loadTac,
  purchaseMac1,
  purchaseMac2,
  purchaseSessionKey,
  purchaseTac,
  tacKey,
  toHex,
} from '@citycard/protocols';
import {
  EP_LOG_KEY,
  EP_PURSE_KEY,
  decodeEpLogRecord,
  decodePurseState,
  encodePurseState,
  epApplication,
  epProofsKey,
} from '../../card-os/src/applications/ep/index.js';
import { personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';

const CARD_NUMBER = '1000000000000001';
const FIXED_NOW = new Date('2025-06-01T08:00:00Z');
const START_BALANCE = 10000;
const DPK = fromHex('C30E7ECB2FD9DFCD3B4BC7DE47BFD57E');
const DLK = fromHex('6F1186E96A32127373D84967E33308F1');
const DTK = fromHex('BD1FFE3A509BADFD0B97BAF5C21945EB');
const TERMINAL = '000000000001';
const DATE = '20261123';
const TIME = '093000';

const SELECT_EP_CMD = '00A4040C08F043495459455001';
// §8.2: purchase of 250 (random A1B2C3D4, offline counter 0005, TTSN 00000102).
const INIT_PURCHASE_250_CMD = `805001020B01000000FA${TERMINAL}`;
const DEBIT_250_CMD = `805401000F00000102${DATE}${TIME}AE47C133`;
const DEBIT_250_RSP = 'A0F363C70DEF3FA39000';
const PROOF_PURCHASE_0006_CMD = '805A0006020006';
const PROOF_PURCHASE_0006_RSP = '0DEF3FA3A0F363C79000';
// §8.2: load of 5000 onto 10000 (random 0F1E2D3C, online counter 0002).
const INIT_LOAD_5000_CMD = `805000020B0100001388${TERMINAL}`;
const CREDIT_5000_CMD = `805200000B${DATE}${TIME}DCBB1D14`;
const CREDIT_5000_RSP = 'CC3A082D9000';
const PROOF_LOAD_0003_CMD = '805A0002020003';
const PROOF_LOAD_0003_RSP = 'DCBB1D14CC3A082D9000';
const SW_6581 = '6581';
const SW_9406 = '9406';

type DiskState = Record<string, string>;

let root: string;
let freshDir: string;
let historyDir: string;
let copies = 0;

function repeatRandom(hex: string): RandomSource {
  return () => fromHex(hex);
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

function cardOn(store: FileStore, random: RandomSource): VirtualCard {
  const card = new VirtualCard({ store, applications: [epApplication], random });
  card.powerOn();
  expect(send(card, SELECT_EP_CMD)).toBe('9000');
  return card;
}

function hex(n: number, digits: number): string {
  return n.toString(16).toUpperCase().padStart(digits, '0');
}

/** A purchase the terminal side computes itself (any random, any counter). Returns the DEBIT answer. */
function purchase(card: VirtualCard, amount: number, ttsn: number): string {
  const init = fromHex(send(card, `805001020B01${hex(amount, 8)}${TERMINAL}`));
  expect(toHex(init.subarray(-2))).toBe('9000');
  const sespk = purchaseSessionKey(DPK, init.subarray(11, 15), init.readUInt16BE(4), ttsn);
  const mac1 = purchaseMac1(sespk, { amount, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
  return send(card, `805401000F${hex(ttsn, 8)}${DATE}${TIME}${toHex(mac1)}`);
}

/** A load with the HSM's MAC2 computed here. Returns the CREDIT answer. */
function load(card: VirtualCard, amount: number): string {
  const init = fromHex(send(card, `805000020B01${hex(amount, 8)}${TERMINAL}`));
  expect(toHex(init.subarray(-2))).toBe('9000');
  const seslk = loadSessionKey(DLK, init.subarray(8, 12), init.readUInt16BE(4));
  const mac2 = loadMac2(seslk, { amount, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
  return send(card, `805200000B${DATE}${TIME}${toHex(mac2)}`);
}

function copyOf(dir: string): string {
  const copy = join(root, `card-${++copies}`);
  cpSync(dir, copy, { recursive: true });
  return copy;
}

function stateOnDisk(dir: string): DiskState {
  const store = FileStore.open(dir);
  try {
    return Object.fromEntries(store.keys().map((key) => [key, toHex(store.get(key)!)]));
  } finally {
    store.close();
  }
}

/** balance + logged purchases − logged loads: the start balance while the log holds every transaction. */
function checkConservation(state: DiskState, where: string): void {
  const purse = decodePurseState(fromHex(state[EP_PURSE_KEY]!));
  const log = fromHex(state[EP_LOG_KEY] ?? '');
  let purchases = 0;
  let loads = 0;
  let nLoads = 0;
  let nPurchases = 0;
  for (let at = 0; at < log.length; at += 23) {
    const record = decodeEpLogRecord(log.subarray(at, at + 23));
    if (record.type === EP_PURCHASE) {
      purchases += record.amount;
      nPurchases++;
    } else {
      expect(record.type, where).toBe(EP_LOAD);
      loads += record.amount;
      nLoads++;
    }
  }
  expect(purse.balance + purchases, `${where}: balance + purchases = start + loads`).toBe(START_BALANCE + loads);
  expect(purse.onlineCounter, `${where}: online counter`).toBe(2 + nLoads);
  expect(purse.offlineCounter, `${where}: offline counter`).toBe(5 + nPurchases);
  // One proof per logged transaction of each type.
  expect((fromHex(state[epProofsKey(EP_PURCHASE)] ?? '').length / 10), `${where}: purchase proofs`).toBe(nPurchases);
  expect((fromHex(state[epProofsKey(EP_LOAD)] ?? '').length / 10), `${where}: load proofs`).toBe(nLoads);
}

interface Scenario {
  readonly name: string;
  readonly random: string;
  readonly init: string;
  readonly complete: string;
  readonly answer: string;
  readonly proofCmd: string;
  readonly proofRsp: string;
}

const DEBIT: Scenario = {
  name: 'DEBIT FOR PURCHASE',
  random: 'A1B2C3D4',
  init: INIT_PURCHASE_250_CMD,
  complete: DEBIT_250_CMD,
  answer: DEBIT_250_RSP,
  proofCmd: PROOF_PURCHASE_0006_CMD,
  proofRsp: PROOF_PURCHASE_0006_RSP,
};

const CREDIT: Scenario = {
  name: 'CREDIT FOR LOAD',
  random: '0F1E2D3C',
  init: INIT_LOAD_5000_CMD,
  complete: CREDIT_5000_CMD,
  answer: CREDIT_5000_RSP,
  proofCmd: PROOF_LOAD_0003_CMD,
  proofRsp: PROOF_LOAD_0003_RSP,
};

/**
 * Run `scenario` on a copy of `base` (compacting after every commit when `compact`), losing power at
 * the command's `n`-th write point (0: never). Returns the copy, the answer and the write points used.
 */
function runWithPowerCut(
  base: string,
  scenario: Scenario,
  n: number,
  torn: TornBytes,
  compact: boolean,
): { dir: string; answer: string; points: number } {
  const dir = copyOf(base);
  const io = new FaultyIo(nodeStorageIo);
  const store = FileStore.open(dir, { io, compactAfterBytes: compact ? 0 : undefined });
  const card = cardOn(store, repeatRandom(scenario.random));
  expect(send(card, scenario.init).slice(-4)).toBe('9000');
  if (n > 0) io.failAfter(n, torn);
  let answer = '';
  const points = io.measure(() => {
    answer = send(card, scenario.complete);
  });
  if (n > 0) {
    expect(answer).toBe(SW_6581);
    expect(send(card, scenario.proofCmd)).toBe(SW_6581); // mute until rebuilt over the reopened store
  } else {
    store.close();
  }
  return { dir, answer, points: points.length };
}

const TORN_CASES: { name: string; torn: TornBytes }[] = [
  { name: 'nothing written', torn: 0 },
  { name: 'half written', torn: (length) => length >> 1 },
  { name: 'all but one byte', torn: (length) => length - 1 },
  { name: 'all written, not synced', torn: (length) => length },
];

/** Returns the number of write points of the command. */
function checkEveryWritePoint(base: string, scenario: Scenario, compact: boolean): number {
  const before = stateOnDisk(base);
  const clean = runWithPowerCut(base, scenario, 0, 0, compact);
  expect(clean.answer).toBe(scenario.answer);
  const after = stateOnDisk(clean.dir);
  expect(after).not.toEqual(before);
  checkConservation(after, `${scenario.name} without a cut`);
  const outcomes = new Set<string>();
  for (const { name, torn } of TORN_CASES) {
    for (let n = 1; n <= clean.points; n++) {
      const where = `${scenario.name}: power cut at write point ${n}/${clean.points} (${name})`;
      const { dir } = runWithPowerCut(base, scenario, n, torn, compact);
      const state = stateOnDisk(dir);
      const outcome = JSON.stringify(state) === JSON.stringify(before) ? 'before' : JSON.stringify(state) === JSON.stringify(after) ? 'after' : 'mixed';
      expect(outcome, `${where}: ${JSON.stringify(state)}`).not.toBe('mixed');
      outcomes.add(outcome);
      checkConservation(state, where);
      // The terminal reconnects: the proof is there exactly when the transaction committed.
      const store = FileStore.open(dir);
      const card = cardOn(store, repeatRandom('00000000'));
      expect(send(card, scenario.proofCmd), where).toBe(outcome === 'after' ? scenario.proofRsp : SW_9406);
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // Both outcomes occur, so the cuts did land before and after the commit point.
  expect([...outcomes].sort()).toEqual(['after', 'before']);
  rmSync(clean.dir, { recursive: true, force: true });
  return clean.points;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'citycard-ep-tearing-'));
  freshDir = join(root, 'fresh');
  const store = FileStore.open(freshDir);
  personalizeEpTestProfile(store, { cardNumber: CARD_NUMBER, balance: START_BALANCE, now: FIXED_NOW, timeZone: 'UTC' });
  const tx = new StoreTransaction(store);
  tx.set(EP_PURSE_KEY, encodePurseState({ balance: START_BALANCE, onlineCounter: 2, offlineCounter: 5 }));
  tx.commit();
  store.close();
  // The same card after four transactions, so a commit log long enough that compaction runs inside
  // the command when the store is opened with compactAfterBytes 0.
  historyDir = copyOf(freshDir);
  const history = FileStore.open(historyDir);
  const card = cardOn(history, repeatRandom('5A5A5A5A'));
  expect(load(card, 1000).slice(-4)).toBe('9000');
  expect(purchase(card, 100, 1).slice(-4)).toBe('9000');
  expect(purchase(card, 200, 2).slice(-4)).toBe('9000');
  expect(load(card, 300).slice(-4)).toBe('9000');
  history.close();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('power cuts inside purse transactions', () => {
  it('DEBIT FOR PURCHASE (§8.2 purchase): all before or all after at every write point', () => {
    checkEveryWritePoint(freshDir, DEBIT, false);
  });

  it('CREDIT FOR LOAD (§8.2 load): all before or all after at every write point', () => {
    checkEveryWritePoint(freshDir, CREDIT, false);
  });

  it('with compaction inside the command: still all before or all after', () => {
    // After the history the counters are online 0004 and offline 0007.
    const debitPoints = checkEveryWritePoint(historyDir, purchaseAfterHistory(), true);
    expect(debitPoints).toBeGreaterThan(2); // the commit, then a compaction
    const creditPoints = checkEveryWritePoint(historyDir, loadAfterHistory(), true);
    expect(creditPoints).toBeGreaterThan(2);
  });

  it('§6 recovery: the answer to DEBIT is lost after the commit; INITIALIZE shows the counter moved; the proof is the §8.2 one', () => {
    // Cut at the fsync that follows the commit record's write: the record is whole on disk.
    const { dir, answer } = runWithPowerCut(freshDir, DEBIT, 2, 0, false);
    expect(answer).toBe(SW_6581);
    const store = FileStore.open(dir);
    const card = cardOn(store, repeatRandom('01020304'));
    expect(send(card, INIT_PURCHASE_250_CMD)).toBe('00002616' + '0006' + '000000' + '01' + '00' + '01020304' + '9000');
    expect(send(card, PROOF_PURCHASE_0006_CMD)).toBe(PROOF_PURCHASE_0006_RSP);
    store.close();
  });

  it('§6 recovery: a cut before the commit leaves nothing owed (9406), and the purchase can be redone', () => {
    const { dir } = runWithPowerCut(freshDir, DEBIT, 1, (length) => length >> 1, false);
    const store = FileStore.open(dir);
    const card = cardOn(store, repeatRandom(DEBIT.random));
    expect(send(card, PROOF_PURCHASE_0006_CMD)).toBe(SW_9406);
    expect(send(card, INIT_PURCHASE_250_CMD)).toBe('00002710' + '0005' + '000000' + '01' + '00' + 'A1B2C3D4' + '9000');
    expect(send(card, DEBIT_250_CMD)).toBe(DEBIT_250_RSP);
    store.close();
  });

  it('a card that keeps losing power mid-transaction keeps balance + purchases = start + loads', () => {
    const dir = copyOf(freshDir);
    const plan = [
      { kind: 'load', amount: 700 },
      { kind: 'purchase', amount: 120 },
      { kind: 'purchase', amount: 35 },
      { kind: 'load', amount: 2000 },
    ] as const; // at most 8 commits: the log (10 records) keeps every one for the check
    const tornWrites: TornBytes[] = [0, (length) => length >> 1, (length) => length];
    let committed = 0;
    for (const [i, step] of plan.entries()) {
      for (const [j, torn] of tornWrites.entries()) {
        const cutAt = 1 + ((i + j) % 2); // the commit record's write, or the fsync after it
        const io = new FaultyIo(nodeStorageIo);
        const store = FileStore.open(dir, { io });
        const card = cardOn(store, repeatRandom(hex(0x100 * i + j, 8)));
        const logBefore = (stateOnDisk(dir)[EP_LOG_KEY]?.length ?? 0) / 46;
        io.failAfter(cutAt, torn);
        const answer = step.kind === 'load' ? load(card, step.amount) : purchase(card, step.amount, 0x1000 + 3 * i + j);
        expect(answer).toBe(SW_6581);
        const state = stateOnDisk(dir);
        const where = `step ${i} (${step.kind} ${step.amount}), cut at write point ${cutAt}, torn case ${j}`;
        checkConservation(state, where);
        const logAfter = (state[EP_LOG_KEY]?.length ?? 0) / 46;
        expect(logAfter - logBefore, where).toBe(cutAt === 2 || j === 2 ? 1 : 0);
        committed += logAfter - logBefore;
      }
    }
    expect(committed).toBe(8); // of 12 cut transactions, those whose commit record reached the disk whole
    rmSync(dir, { recursive: true, force: true });
  });
});

/** The purchase of 250 on the history card (random A1B2C3D4, offline counter 0007, TTSN 00000102). */
function purchaseAfterHistory(): Scenario {
  const fields = { amount: 250, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) };
  const sespk = purchaseSessionKey(DPK, fromHex('A1B2C3D4'), 7, 0x102);
  const mac2 = toHex(purchaseMac2(sespk, 250));
  const tac = toHex(purchaseTac(tacKey(DTK), { ...fields, ttsn: 0x102 }));
  return {
    ...DEBIT,
    complete: `805401000F00000102${DATE}${TIME}${toHex(purchaseMac1(sespk, fields))}`,
    answer: `${tac}${mac2}9000`,
    proofCmd: '805A0006020008',
    proofRsp: `${mac2}${tac}9000`,
  };
}

/** The load of 5000 on the history card (balance 11000, random 0F1E2D3C, online counter 0004). */
function loadAfterHistory(): Scenario {
  const fields = { amount: 5000, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) };
  const seslk = loadSessionKey(DLK, fromHex('0F1E2D3C'), 4);
  const mac2 = toHex(loadMac2(seslk, fields));
  const tac = toHex(loadTac(tacKey(DTK), { ...fields, newBalance: 16000, onlineCounter: 4 }));
  return {
    ...CREDIT,
    complete: `805200000B${DATE}${TIME}${mac2}`,
    answer: `${tac}9000`,
    proofCmd: '805A0002020005',
    proofRsp: `${mac2}${tac}9000`,
  };
}
