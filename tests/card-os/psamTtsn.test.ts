/**
 * The PSAM's TTSN on a FileStore: strictly increasing across reopenings from disk, and never
 * issued twice whatever power cut hits a MAC1 (every write point, torn writes, with and without a
 * compaction inside the command, unsynced data lost or kept).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FaultyIo,
  FileStore,
  SimulatedDiskIo,
  VirtualCard,
  nodeStorageIo,
  type CrashMode,
  type FileStoreOptions,
  type PersistentStore,
  type TornBytes,
} from '@citycard/card-os';
import { diversifyKey, fromHex, purchaseMac1, purchaseSessionKey, toHex } from '@citycard/protocols';
// Not yet re-exported by @citycard/card-os: imported from their sources.
import { PSAM_TTSN_KEY, psamApplication } from '../../card-os/src/applications/psam/index.js';
import { personalizePsamTestProfile } from '../../card-os/src/personalization/psamTestProfile.js';

const SELECT_PSAM_CMD = '00A4040C08F04349545953414D';
// Spec §8.2 purchase; the TTSN in the answer depends on the PSAM's state.
const MAC1_CMD = '807000001C' + 'A1B2C3D4' + '0005' + '000000FA' + '06' + '20261123' + '093000' + '01' + '00' + '1000000000000001';
const MAC1_0102_RSP = '00000102AE47C1339000';
const VERIFY_MAC2_0102_CMD = '80720000040DEF3FA3';
const SW_OK = '9000';
const SW_MEMORY_FAILURE = '6581';
const TTSN_0101 = 0x101;
const SIMULATED_DIR = '/psam/000000000001';

const MPK = fromHex('11223344556677888877665544332211');
const DPK = diversifyKey(MPK, fromHex('1000000000000001'));

let root: string;
let copies = 0;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'citycard-psam-ttsn-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The MAC1 answer expected for the §8.2 purchase when the PSAM assigns `ttsn`. */
function mac1Response(ttsn: number): string {
  const sespk = purchaseSessionKey(DPK, fromHex('A1B2C3D4'), 5, ttsn);
  const mac1 = purchaseMac1(sespk, { amount: 250, terminal: fromHex('000000000001'), date: fromHex('20261123'), time: fromHex('093000') });
  return `${ttsn.toString(16).toUpperCase().padStart(8, '0')}${toHex(mac1)}${SW_OK}`;
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

function selectedPsam(store: PersistentStore): VirtualCard {
  const card = new VirtualCard({ store, applications: [psamApplication] });
  card.powerOn();
  expect(send(card, SELECT_PSAM_CMD)).toBe(SW_OK);
  return card;
}

/** Personalize the PSAM in `store` and set its last TTSN to `ttsn`. */
function personalize(store: PersistentStore, ttsn: number): void {
  personalizePsamTestProfile(store, { terminalNumber: '000000000001' });
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(ttsn);
  store.commit(new Map([[PSAM_TTSN_KEY, bytes]]));
}

function ttsnOf(store: PersistentStore): number {
  return store.get(PSAM_TTSN_KEY)!.readUInt32BE(0);
}

/** Every value in `store`, hex. */
function dump(store: PersistentStore): Map<string, string> {
  return new Map(store.keys().map((key) => [key, toHex(store.get(key)!)]));
}

function copyOf(dir: string): string {
  const copy = join(root, `copy-${++copies}`);
  cpSync(dir, copy, { recursive: true });
  return copy;
}

const TORN_CASES: readonly { name: string; torn: TornBytes }[] = [
  { name: 'nothing written', torn: 0 },
  { name: 'half written', torn: (length) => length >> 1 },
  { name: 'all but one byte', torn: (length) => length - 1 },
];

describe('TTSN across reopenings', () => {
  it('keeps increasing by one from 00000102 over five reopenings from disk', () => {
    const dir = join(root, 'reopen');
    const first = FileStore.open(dir);
    personalize(first, TTSN_0101);
    first.close();
    const issued: string[] = [];
    for (let round = 0; round < 5; round++) {
      const store = FileStore.open(dir);
      const card = selectedPsam(store);
      for (let i = 0; i < 3; i++) issued.push(send(card, MAC1_CMD));
      store.close();
    }
    expect(issued[0]).toBe(MAC1_0102_RSP);
    expect(issued).toEqual(Array.from({ length: 15 }, (_, i) => mac1Response(0x102 + i)));
    const store = FileStore.open(dir);
    expect(ttsnOf(store)).toBe(0x110);
    store.close();
  });
});

describe('power cut inside MAC1 (FileStore + FaultyIo, real files)', () => {
  /** Open `dir` through a FaultyIo, select the PSAM, and return both. */
  function openFaulty(dir: string, options: FileStoreOptions): { io: FaultyIo; store: FileStore; card: VirtualCard } {
    const io = new FaultyIo(nodeStorageIo);
    const store = FileStore.open(dir, { ...options, io });
    return { io, store, card: selectedPsam(store) };
  }

  /** Write points of one MAC1 on a copy of `base`, and whether it compacted. */
  function measure(base: string, options: FileStoreOptions): { points: number; compacts: boolean; answer: string } {
    const { io, store, card } = openFaulty(copyOf(base), options);
    let answer = '';
    const trace = io.measure(() => {
      answer = send(card, MAC1_CMD);
    });
    store.close();
    return { points: trace.length, compacts: trace.some((wp) => wp.op === 'rename'), answer };
  }

  function checkEveryWritePoint(base: string, options: FileStoreOptions): { cases: number; outcomes: Set<number> } {
    const before = FileStore.open(base);
    const lastTtsn = ttsnOf(before);
    const baseState = dump(before);
    before.close();
    const { points, answer } = measure(base, options);
    expect(answer).toBe(mac1Response(lastTtsn + 1));
    const outcomes = new Set<number>();
    let cases = 0;
    for (let n = 1; n <= points; n++) {
      for (const { name, torn } of TORN_CASES) {
        const label = `write point ${n} of ${points}, ${name}`;
        const dir = copyOf(base);
        const { io, card } = openFaulty(dir, options);
        io.failAfter(n, torn);
        expect(send(card, MAC1_CMD), label).toBe(SW_MEMORY_FAILURE);
        expect(send(card, MAC1_CMD), `${label}: mute until reopened`).toBe(SW_MEMORY_FAILURE);

        const store = FileStore.open(dir);
        const onDisk = ttsnOf(store);
        expect([lastTtsn, lastTtsn + 1], label).toContain(onDisk);
        const state = dump(store);
        state.delete(PSAM_TTSN_KEY);
        const expected = new Map(baseState);
        expected.delete(PSAM_TTSN_KEY);
        expect(state, `${label}: nothing else changed`).toEqual(expected);
        // No MAC1 left the card, so the next one may take lastTtsn + 1, never anything issued.
        const next = send(selectedPsam(store), MAC1_CMD);
        expect(next, label).toBe(mac1Response(onDisk + 1));
        expect(onDisk + 1, label).toBeGreaterThan(lastTtsn);
        store.close();
        outcomes.add(onDisk);
        cases++;
      }
    }
    return { cases, outcomes };
  }

  it('never reuses a TTSN, whichever write point of the commit loses power', () => {
    const base = join(root, 'base');
    const store = FileStore.open(base);
    personalize(store, TTSN_0101);
    store.close();
    expect(measure(base, {})).toMatchObject({ answer: MAC1_0102_RSP, compacts: false });
    const { cases, outcomes } = checkEveryWritePoint(base, {});
    expect(cases).toBeGreaterThanOrEqual(6); // write + fsync, three torn variants each
    expect([...outcomes].sort()).toEqual([TTSN_0101, TTSN_0101 + 1]); // both sides of the commit seen
  });

  it('never reuses a TTSN when the MAC1 commit triggers a compaction', () => {
    const options: FileStoreOptions = { compactAfterBytes: 0 };
    const base = join(root, 'compacting');
    const store = FileStore.open(base, options);
    personalize(store, TTSN_0101);
    store.close();
    // Issue MAC1s until the next one is the one that compacts the log.
    for (let i = 0; i < 20 && !measure(base, options).compacts; i++) {
      const advancing = FileStore.open(base, options);
      send(selectedPsam(advancing), MAC1_CMD);
      advancing.close();
    }
    expect(measure(base, options).compacts).toBe(true);
    const { cases } = checkEveryWritePoint(base, options);
    expect(cases).toBeGreaterThanOrEqual(18); // commit, then temp file, write, fsync, rename, directory fsync
  });
});

describe('chains of MAC1s with power cuts (FaultyIo over a simulated disk)', () => {
  it.each<[CrashMode, number | undefined]>([
    ['lose-unsynced', undefined],
    ['lose-unsynced', 0],
    ['keep-unsynced', 0],
  ])('issues strictly increasing TTSNs (%s, compactAfterBytes %s)', (mode, compactAfterBytes) => {
    const options: FileStoreOptions = compactAfterBytes === undefined ? {} : { compactAfterBytes };
    let disk = new SimulatedDiskIo();
    const first = FileStore.open(SIMULATED_DIR, { ...options, io: disk });
    personalize(first, TTSN_0101);
    first.close();
    const issued: number[] = [TTSN_0101];
    let cuts = 0;
    for (let round = 0; round < 90; round++) {
      const io = new FaultyIo(disk);
      const store = FileStore.open(SIMULATED_DIR, { ...options, io });
      const card = selectedPsam(store);
      const { torn } = TORN_CASES[round % TORN_CASES.length]!;
      io.failAfter(1 + (round % 9), torn);
      for (let i = 0; i < 12; i++) {
        const answer = send(card, MAC1_CMD);
        if (answer === SW_MEMORY_FAILURE) break;
        const ttsn = Number.parseInt(answer.slice(0, 8), 16);
        expect(answer, `round ${round}`).toBe(mac1Response(ttsn));
        issued.push(ttsn);
        if (ttsn === 0x102 && round === 0) expect(send(card, VERIFY_MAC2_0102_CMD)).toBe(SW_OK);
      }
      expect(io.poweredOff, `round ${round}: the cut happened inside a MAC1`).toBe(true);
      cuts++;
      disk = disk.crash(mode);
    }
    for (let i = 1; i < issued.length; i++) expect(issued[i]!, `TTSN #${i}`).toBeGreaterThan(issued[i - 1]!);
    expect(cuts).toBe(90);
    expect(issued.length).toBeGreaterThan(25);
    const last = FileStore.open(SIMULATED_DIR, { io: disk });
    expect(ttsnOf(last)).toBeGreaterThanOrEqual(issued.at(-1)!);
    last.close();
  });
});
