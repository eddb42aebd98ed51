/**
 * Fuzzing the PSAM: 30,000 random and mutated APDUs (seeded; set CITYCARD_FUZZ_SEED to replay)
 * against a personalized PSAM on a FileStore (sync off), with power cycles and reopenings from
 * disk mixed in. Every answer must end in a status word, the card must never hit an internal
 * error (6F00), every MAC1 it gives must be right for its command and carry a TTSN above all
 * earlier ones, and the state must reopen with only the TTSN changed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore, VirtualCard, type PersistentStore } from '@citycard/card-os';
import { diversifyKey, fromHex, purchaseMac1, purchaseSessionKey, toHex } from '@citycard/protocols';
// Not yet re-exported by @citycard/card-os: imported from their sources.
import { PSAM_TTSN_KEY, psamApplication } from '../../card-os/src/applications/psam/index.js';
import { personalizePsamTestProfile } from '../../card-os/src/personalization/psamTestProfile.js';
import { prng } from './support/seededRandom.js';

const SEED = Number(process.env['CITYCARD_FUZZ_SEED'] ?? 0x5a3c2026);
const ITERATIONS = 30_000;
const REOPEN_EVERY = 5_000;
const MPK = fromHex('11223344556677888877665544332211');
const TERMINAL = fromHex('000000000001');

const MAC1_DATA = 'A1B2C3D4' + '0005' + '000000FA' + '06' + '20261123' + '093000' + '01' + '00' + '1000000000000001';
const VALID_COMMANDS = [
  '00A4040008F04349545953414D00', // SELECT PSAM
  '00A4040C08F04349545953414D',
  '00A40000023F00', // SELECT MF
  '00A40000020016',
  '00B0960006', // READ BINARY terminal number
  '00B0000006',
  '00B0960000',
  `807000001C${MAC1_DATA}`, // MAC1 for purchase
  `807000001C${MAC1_DATA}`,
  `807000001C${MAC1_DATA}08`,
  '80720000040DEF3FA3', // verify MAC2
  '8072000004DEADBEEF',
  '80740000151000000000000001A1B2C3D4841E00000400000000', // maintenance MAC, block
  '807400001510000000000000010A0B0C0D841800000400000000', // unblock
  '0084000004', // GET CHALLENGE
  '00200001083132333435FFFFFF', // VERIFY: the PSAM has no PIN
  '00D6960002AABB', // UPDATE BINARY of a never-updatable EF
].map((hex) => fromHex(hex));

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'citycard-psam-fuzz-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function nextInput(rand: () => number): Buffer {
  const pick = (n: number): number => rand() % n;
  const base = Buffer.from(VALID_COMMANDS[pick(VALID_COMMANDS.length)]!);
  switch (pick(9)) {
    case 0:
    case 1:
      return base;
    case 2:
      for (let i = 1 + pick(3); i > 0; i--) base[pick(base.length)]! ^= 1 << pick(8);
      return base;
    case 3:
      base[pick(base.length)] = pick(256);
      return base;
    case 4:
      return base.subarray(0, pick(base.length + 1));
    case 5:
      return Buffer.concat([base, randomBytes(rand, 1 + pick(8))]);
    case 6:
      if (base.length > 4) base[4] = pick(256);
      return base;
    case 7:
      // Keep the MAC1 header, vary one field's bytes: key version, alg id, type, date, time.
      if (base[1] === 0x70 && base.length >= 33) base[5 + [10, 11, 14, 15, 17, 18, 19][pick(7)]!] = pick(256);
      return base;
    default:
      return randomBytes(rand, pick(40));
  }
}

function randomBytes(rand: () => number, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = rand() & 0xff;
  return out;
}

/** The MAC1 the PSAM must give for MAC1 command data `data` and TTSN `ttsn`. */
function expectedMac1(data: Buffer, ttsn: number): string {
  const dpk = diversifyKey(MPK, data.subarray(20, 28));
  const sespk = purchaseSessionKey(dpk, data.subarray(0, 4), data.readUInt16BE(4), ttsn);
  return toHex(
    purchaseMac1(sespk, {
      amount: data.readUInt32BE(6),
      type: data[10]!,
      terminal: TERMINAL,
      date: data.subarray(11, 15),
      time: data.subarray(15, 18),
    }),
  );
}

function psamOn(store: PersistentStore, bugs: unknown[]): VirtualCard {
  const card = new VirtualCard({ store, applications: [psamApplication], onInternalError: (err) => bugs.push(err) });
  card.powerOn();
  return card;
}

describe('PSAM fuzz', () => {
  it(`survives ${ITERATIONS} mutated APDUs with correct MAC1s and increasing TTSNs (seed ${SEED})`, () => {
    const dir = join(root, 'psam');
    let store = FileStore.open(dir, { sync: false });
    personalizePsamTestProfile(store, { terminalNumber: '000000000001' });
    const personalized = new Map(store.keys().map((key) => [key, toHex(store.get(key)!)]));
    const bugs: unknown[] = [];
    let card = psamOn(store, bugs);
    const rand = prng(SEED);
    let lastTtsn = 0;
    let mac1s = 0;
    const seen = new Map<string, number>();
    for (let i = 1; i <= ITERATIONS; i++) {
      const input = nextInput(rand);
      const answer = card.transmit(input);
      const label = `#${i} ${toHex(input)}`;
      expect(answer.length, label).toBeGreaterThanOrEqual(2);
      const sw = toHex(answer.subarray(-2));
      expect(sw, label).not.toBe('6F00');
      seen.set(sw, (seen.get(sw) ?? 0) + 1);
      if (input[0] === 0x80 && input[1] === 0x70 && sw === '9000') {
        expect(answer.length, label).toBe(10);
        const ttsn = answer.readUInt32BE(0);
        expect(ttsn, label).toBe(lastTtsn + 1);
        expect(toHex(answer.subarray(4, 8)), label).toBe(expectedMac1(input.subarray(5, 33), ttsn));
        lastTtsn = ttsn;
        mac1s++;
      }
      if (i % 997 === 0) {
        card.powerOff();
        card.powerOn();
      }
      if (i % REOPEN_EVERY === 0) {
        store.close();
        store = FileStore.open(dir, { sync: false });
        card = psamOn(store, bugs);
      }
    }
    expect(bugs).toEqual([]);
    expect(mac1s).toBeGreaterThan(500);
    expect(seen.get('9302')).toBeGreaterThan(0); // wrong MAC2s were checked
    expect(seen.get('9403')).toBeGreaterThan(0); // and unknown key versions refused
    store.close();

    const reopened = FileStore.open(dir, { sync: false });
    const final = new Map(reopened.keys().map((key) => [key, toHex(reopened.get(key)!)]));
    expect(reopened.get(PSAM_TTSN_KEY)!.readUInt32BE(0)).toBe(lastTtsn);
    final.delete(PSAM_TTSN_KEY);
    personalized.delete(PSAM_TTSN_KEY);
    expect(final).toEqual(personalized);
    reopened.close();
  });
});
