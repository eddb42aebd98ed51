/**
 * Fuzzing the EP commands on a citizen card with both applications installed: 25,000+ random and
 * mutated APDUs (seeded; set CITYCARD_FUZZ_SEED to replay) against a FileStore (sync off), with
 * complete, correctly MACed purchases, loads, blocks and unblocks mixed in, power cycles, resets
 * and reopenings from disk. Every answer must end in a status word, the card must never throw or
 * answer 6F00, and at the end the state must reopen with exactly the balance, counters and
 * lifecycle the successful transactions account for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore, type PersistentStore, type VirtualCard } from '@citycard/card-os';
import {
  diversifyKey,
  fromHex,
  loadMac2,
  loadSessionKey,
  maintenanceMac,
  purchaseMac1,
  purchaseSessionKey,
  toHex,
} from '@citycard/protocols';
import {
  EP_AID_HEX,
  EP_ISSUER_KEY,
  EP_LIFECYCLE_KEY,
  EP_LIMITS_KEY,
  EP_LOG_KEY,
  EP_PURSE_KEY,
  EP_KEY_NAMES,
  decodePurseState,
  epApplication,
  epKeyStoreKey,
  epProofsKey,
} from '../../card-os/src/applications/ep/index.js';
import { personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';
import { cardOn, copyImage, personalizeImage, send, type PersonalizedImage } from './support/personalizedCard.js';
import { prng, seededRandom } from './support/seededRandom.js';

const SEED = Number(process.env['CITYCARD_FUZZ_SEED'] ?? 0xe9f0_2025);
const ITERATIONS = 25_000;
const REOPEN_EVERY = 5_000;
const CARD_NUMBER = '1000000000000001';
const START_BALANCE = 20000;
const DPK = diversifyKey(fromHex('11223344556677888877665544332211'), fromHex(CARD_NUMBER));
const DLK = diversifyKey(fromHex('2233445566778899AABBCCDDEEFF0011'), fromHex(CARD_NUMBER));
const DAMK = diversifyKey(fromHex('445566778899AABBCCDDEEFF00112233'), fromHex(CARD_NUMBER));
const TERMINAL = '000000000001';
const DATE = '20261123';
const TIME = '093000';
const SELECT_EP_CMD = '00A4040C08F043495459455001';

// Valid commands of the EP (and a few of the runtime's); mutations start from these.
const VALID_COMMANDS = [
  '00A4040008F04349545945500100', // SELECT EP
  SELECT_EP_CMD,
  '00A4040C08F043495459494401', // SELECT ID
  '00A40000021001', // SELECT EP by FID
  '00B095001E', // READ BINARY EF 0x15
  '00B0920008', // EF 0x12
  '00B201C417', // READ RECORD log
  '00B20AC400',
  `805001020B01000000FA${TERMINAL}0F`, // INITIALIZE FOR PURCHASE 250
  `805001020B0100000001${TERMINAL}`,
  `805001020B0100009C40${TERMINAL}`, // 400.00: more than the balance for most of the run
  `805000020B0100001388${TERMINAL}10`, // INITIALIZE FOR LOAD 5000
  `805401000F00000102${DATE}${TIME}AE47C13308`, // DEBIT
  `805200000B${DATE}${TIME}DCBB1D1404`, // CREDIT
  '805C000204', // GET BALANCE
  '805A0006020006', // GET TRANSACTION PROOF
  '805A000202000308',
  '0084000004', // GET CHALLENGE
  '841E000004E7400602', // APPLICATION BLOCK
  '8418000004E0106F6D', // APPLICATION UNBLOCK
  '0020000108313233343536FFFF', // VERIFY (ID PIN)
].map((hex) => fromHex(hex));

let image: PersonalizedImage;
let root: string;

beforeAll(() => {
  image = personalizeImage();
  root = mkdtempSync(join(tmpdir(), 'citycard-ep-fuzz-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function nextInput(rand: () => number): Buffer {
  const pick = (n: number): number => rand() % n;
  const base = Buffer.from(VALID_COMMANDS[pick(VALID_COMMANDS.length)]!);
  switch (pick(9)) {
    case 0:
      return base;
    case 1: {
      for (let i = 1 + pick(3); i > 0; i--) base[pick(base.length)]! ^= 1 << pick(8);
      return base;
    }
    case 2:
      base[pick(base.length)] = pick(256);
      return base;
    case 3:
      return base.subarray(0, pick(base.length + 1));
    case 4:
      return Buffer.concat([base, randomBytes(rand, 1 + pick(4))]);
    case 5:
      if (base.length > 4) base[4] = pick(256);
      return base;
    case 6:
      base[2] = pick(256);
      base[3] = pick(256);
      return base;
    case 7:
      base[0] = [0x00, 0x80, 0x84, pick(256)][pick(4)]!;
      return base;
    default:
      return randomBytes(rand, pick(8) === 0 ? pick(300) : pick(24));
  }
}

function randomBytes(rand: () => number, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = rand() & 0xff;
  return out;
}

function hex(n: number, digits: number): string {
  return n.toString(16).toUpperCase().padStart(digits, '0');
}

/** What the successful transactions account for. */
interface Expected {
  balance: number;
  online: number;
  offline: number;
  blocked: boolean;
}

/**
 * One complete, correctly MACed transaction (or a deliberately wrong MAC), as a terminal with a
 * PSAM and the HSM would run it; updates `expected` from the answers.
 */
function honestTransaction(card: VirtualCard, rand: () => number, expected: Expected, answers: Map<string, number>): void {
  const note = (sw: string): void => void answers.set(sw, (answers.get(sw) ?? 0) + 1);
  expect(send(card, SELECT_EP_CMD)).toBe('9000');
  const kind = rand() % 4;
  const corrupt = rand() % 5 === 0;
  if (kind >= 2) {
    const target = kind === 2 ? '1E' : '18';
    const challenge = fromHex(send(card, '0084000004')).subarray(0, 4);
    let mac = maintenanceMac(DAMK, challenge, fromHex(`84${target}000004`));
    if (corrupt) mac = Buffer.from(mac.map((b) => b ^ 0x01));
    const sw = send(card, `84${target}000004${toHex(mac)}`);
    note(sw);
    expect(sw).toBe(corrupt ? '9302' : '9000');
    if (!corrupt) expected.blocked = target === '1E';
    return;
  }
  const amount = 1 + (rand() % 3000);
  const isLoad = kind === 0;
  const init = fromHex(send(card, `8050${isLoad ? '00' : '01'}020B01${hex(amount, 8)}${TERMINAL}`));
  const initSw = toHex(init.subarray(-2));
  note(initSw);
  if (expected.blocked) return void expect(initSw).toBe('6A81');
  if (isLoad && expected.balance + amount > 100000) return void expect(initSw).toBe('6985');
  if (!isLoad && amount > expected.balance) return void expect(initSw).toBe('9401');
  expect(initSw).toBe('9000');
  let sw: string;
  if (isLoad) {
    const seslk = loadSessionKey(DLK, init.subarray(8, 12), init.readUInt16BE(4));
    let mac2 = loadMac2(seslk, { amount, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
    if (corrupt) mac2 = Buffer.from(mac2.map((b) => b ^ 0x80));
    sw = send(card, `805200000B${DATE}${TIME}${toHex(mac2)}`).slice(-4);
  } else {
    const ttsn = rand();
    const sespk = purchaseSessionKey(DPK, init.subarray(11, 15), init.readUInt16BE(4), ttsn);
    let mac1 = purchaseMac1(sespk, { amount, terminal: fromHex(TERMINAL), date: fromHex(DATE), time: fromHex(TIME) });
    if (corrupt) mac1 = Buffer.from(mac1.map((b) => b ^ 0x80));
    sw = send(card, `805401000F${hex(ttsn, 8)}${DATE}${TIME}${toHex(mac1)}`).slice(-4);
  }
  note(sw);
  expect(sw).toBe(corrupt ? '9302' : '9000');
  if (corrupt) return;
  if (isLoad) {
    expected.balance += amount;
    expected.online++;
  } else {
    expected.balance -= amount;
    expected.offline++;
  }
}

function openCard(dir: string, bugs: unknown[]): { store: PersistentStore; card: VirtualCard } {
  const store = FileStore.open(dir, { sync: false });
  return { store, card: cardOn(store, { extra: [epApplication], random: seededRandom(SEED), bugs }) };
}

describe(`EP fuzz (seed ${SEED})`, () => {
  it(`survives ${ITERATIONS} random and mutated APDUs between honest transactions`, () => {
    const dir = join(root, 'card');
    const initial = FileStore.open(dir, { sync: false });
    copyImage(image, initial);
    personalizeEpTestProfile(initial, { cardNumber: CARD_NUMBER, balance: START_BALANCE, now: new Date('2025-06-01T08:00:00Z'), timeZone: 'UTC' });
    const personalized = new Map(initial.keys().map((key) => [key, Buffer.from(initial.get(key)!)]));
    initial.close();

    const rand = prng(SEED);
    const bugs: unknown[] = [];
    const expected: Expected = { balance: START_BALANCE, online: 0, offline: 0, blocked: false };
    const statusCounts = new Map<string, number>();
    let { store, card } = openCard(dir, bugs);
    const where = (i: number, input: Buffer): string => `seed ${SEED}, APDU #${i}: ${toHex(input)}`;
    for (let i = 0; i < ITERATIONS; i++) {
      const event = rand() % 1000;
      if (event < 5) {
        card.powerOff();
        card.powerOn();
      } else if (event < 10) {
        card.reset();
      } else if (event < 40) {
        honestTransaction(card, rand, expected, statusCounts);
      }
      if (i > 0 && i % REOPEN_EVERY === 0) {
        store.close();
        ({ store, card } = openCard(dir, bugs));
      }
      const input = nextInput(rand);
      let response: Buffer;
      try {
        response = card.transmit(input);
      } catch (err) {
        throw new Error(`card threw at ${where(i, input)}`, { cause: err });
      }
      if (!(response instanceof Buffer) || response.length < 2 || response.length > 258) {
        expect.fail(`malformed response ${String(response)} at ${where(i, input)}`);
      }
      const sw1 = response[response.length - 2]!;
      if (!((sw1 >= 0x61 && sw1 <= 0x6f) || (sw1 >= 0x90 && sw1 <= 0x9f))) {
        expect.fail(`no status word in ${toHex(response)} at ${where(i, input)}`);
      }
      if (bugs.length > 0) expect.fail(`internal error ${String(bugs[0])} at ${where(i, input)}`);
      const sw = toHex(response.subarray(-2));
      statusCounts.set(sw, (statusCounts.get(sw) ?? 0) + 1);
    }
    store.close();

    // The fuzz reached the purse's own answers, not only the dispatcher's refusals.
    for (const sw of ['9000', '6700', '6A86', '6D00', '6E00', '6985', '6A80', '6A81', '9302', '9401', '9403', '9406']) {
      expect(statusCounts.get(sw) ?? 0, `status ${sw} seen (seed ${SEED})`).toBeGreaterThan(0);
    }
    expect(expected.online + expected.offline, 'honest transactions committed').toBeGreaterThan(50);

    // The state reopens from disk (sync on, as a restarted card would) and is what the answers said.
    const reopened = FileStore.open(dir);
    try {
      const ep = `df/${EP_AID_HEX}/`;
      const allowed = new Set([...personalized.keys(), EP_LOG_KEY, epProofsKey(0x02), epProofsKey(0x06)]);
      for (const key of reopened.keys()) expect(allowed.has(key), `unexpected key ${key} (seed ${SEED})`).toBe(true);
      for (const key of [EP_ISSUER_KEY, EP_LIMITS_KEY, ...EP_KEY_NAMES.map(epKeyStoreKey)]) {
        expect(reopened.get(key), `${key} intact`).toEqual(personalized.get(key));
      }
      for (const [key, value] of personalized) {
        if (!key.startsWith(ep) && !key.includes('/pin/')) expect(reopened.get(key), `${key} intact`).toEqual(value);
      }
      expect(decodePurseState(reopened.get(EP_PURSE_KEY)!)).toEqual({
        balance: expected.balance,
        onlineCounter: expected.online,
        offlineCounter: expected.offline,
      });
      expect(toHex(reopened.get(EP_LIFECYCLE_KEY)!)).toBe(expected.blocked ? '06' : '07');
      expect(reopened.get(EP_LOG_KEY)!.length).toBe(23 * Math.min(10, expected.online + expected.offline));
      expect(reopened.get(epProofsKey(0x02))!.length).toBe(10 * Math.min(10, expected.online));
      expect(reopened.get(epProofsKey(0x06))!.length).toBe(10 * Math.min(10, expected.offline));

      const card2 = cardOn(reopened, { extra: [epApplication] });
      expect(send(card2, SELECT_EP_CMD)).toBe('9000');
      expect(send(card2, '805C000204')).toBe(hex(expected.balance, 8) + '9000');
    } finally {
      reopened.close();
    }
  });
});
