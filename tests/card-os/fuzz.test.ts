/**
 * Fuzzing the card OS: 100,000+ random and mutated APDUs (seeded; set CITYCARD_FUZZ_SEED to
 * replay) against a personalized card on a FileStore (sync off), with power cycles, resets and
 * reopenings from disk mixed in. Every answer must be bytes ending in a status word, the card
 * must never throw or hit an internal error (6F00), and the state on disk must reopen cleanly
 * and be valid at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FileStore,
  ID_PIN,
  ID_PUK,
  isWellFormedPinBlock,
  type PersistentStore,
  type PinSpec,
  type VirtualCard,
} from '@citycard/card-os';
import { fromHex, toHex } from '@citycard/protocols';
import { cardOn, copyImage, personalizeImage, send, type PersonalizedImage } from './support/personalizedCard.js';
import { prng, seededRandom } from './support/seededRandom.js';
import { personalizeTestApplication, TEST_PIN, TEST_PUK, testApplication, testEfKey } from './support/testApplication.js';

const SEED = Number(process.env['CITYCARD_FUZZ_SEED'] ?? 0x5eed2025);
const ITERATIONS = 100_000;
const REOPEN_EVERY = 25_000;

// Valid commands of both applications; mutations start from these.
const VALID_COMMANDS = [
  '00A4040008F04349545949440100', // SELECT ID
  '00A4040C08F043495459494401',
  '00A4040008F05445535441505000', // SELECT test application
  '00A40000023F00', // SELECT MF
  '00A4000002DF01',
  '00A40000020003',
  '00A40000020101',
  '00B0810000', // READ BINARY card info
  '00B0820000', // cardholder (PIN)
  '00B0830000', // certificate
  '00B0010000',
  '00B0000010',
  '00B2011C00', // READ RECORD test SFI 03
  '00B2012400', // test cyclic log
  '00D6810004DEADBEEF', // UPDATE BINARY test SFI 01
  '00D6820002CAFE', // test SFI 02 (PIN)
  '00DC011C0401020304', // UPDATE RECORD test SFI 03 (PIN)
  '0020000108313233343536FFFF', // VERIFY ID PIN 123456 (or the test PIN when the test app is selected)
  '002000010831323334FFFFFFFF', // VERIFY test PIN 1234
  '0020000108393939393939FFFF', // a wrong PIN
  '00200001',
  '00200081',
  '0024000110313233343536FFFF313233343536FFFF', // CHANGE REFERENCE DATA to the same PIN
  '002C0001103132333435363738313233343536FFFF', // RESET RETRY COUNTER, ID PIN back to 123456
  '002C000110313233343536373831323334FFFFFFFF', // test PIN back to 1234
  '0084000004',
  '0084000008',
  '0088000110000102030405060708090A0B0C0D0E0F00', // INTERNAL AUTHENTICATE card
  '0088000210000102030405060708090A0B0C0D0E0F00', // cardholder
  '80CA000000', // test application proprietary command
  '80CA070100', // append to the test log
].map((hex) => fromHex(hex));

let image: PersonalizedImage;
let root: string;

beforeAll(() => {
  image = personalizeImage();
  root = mkdtempSync(join(tmpdir(), 'citycard-fuzz-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** One fuzz input: a valid command, a mutation of one, or random bytes. */
function nextInput(rand: () => number): Buffer {
  const pick = (n: number): number => rand() % n;
  const base = Buffer.from(VALID_COMMANDS[pick(VALID_COMMANDS.length)]!);
  switch (pick(10)) {
    case 0:
    case 1:
      return base;
    case 2: {
      for (let i = 1 + pick(3); i > 0; i--) base[pick(base.length)]! ^= 1 << pick(8);
      return base;
    }
    case 3:
      base[pick(base.length)] = pick(256);
      return base;
    case 4:
      return base.subarray(0, pick(base.length + 1));
    case 5:
      return Buffer.concat([base, randomBytes(rand, 1 + pick(8))]);
    case 6: {
      if (base.length > 4) base[4] = pick(256); // Lc (or Le)
      return base;
    }
    case 7:
      return Buffer.concat([base.length > 5 ? base : Buffer.concat([base.subarray(0, 4), Buffer.from([1, 0])]), Buffer.from([pick(256)])]);
    case 8:
      base[2] = pick(256);
      base[3] = pick(256);
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

function openCard(dir: string, bugs: unknown[]): { store: PersistentStore; card: VirtualCard } {
  const store = FileStore.open(dir, { sync: false });
  const card = cardOn(store, { extra: [testApplication], random: seededRandom(SEED), bugs });
  return { store, card };
}

function checkPin(store: PersistentStore, aid: string, spec: PinSpec, where: string): void {
  const block = store.get(`df/${aid}/pin/${toHex(Buffer.from([spec.ref]))}`);
  expect(block !== undefined && isWellFormedPinBlock(block, spec), `${where}: ${spec.label} block`).toBe(true);
  const tries = store.get(`df/${aid}/pin/${toHex(Buffer.from([spec.ref]))}/tries`);
  expect(tries?.length, `${where}: ${spec.label} tries`).toBe(1);
  expect(tries![0]!, `${where}: ${spec.label} tries`).toBeLessThanOrEqual(spec.maxTries);
}

describe(`fuzz (seed ${SEED})`, () => {
  it(`survives ${ITERATIONS} random and mutated APDUs with power cycles`, () => {
    const dir = join(root, 'card');
    const initial = FileStore.open(dir, { sync: false });
    copyImage(image, initial);
    personalizeTestApplication(initial);
    initial.close();

    const rand = prng(SEED);
    const bugs: unknown[] = [];
    let { store, card } = openCard(dir, bugs);
    const where = (i: number, input: Buffer): string => `seed ${SEED}, APDU #${i}: ${toHex(input)}`;
    const statusCounts = new Map<string, number>();
    for (let i = 0; i < ITERATIONS; i++) {
      const event = rand() % 1000;
      if (event < 5) {
        card.powerOff();
        card.powerOn();
      } else if (event < 10) {
        card.reset();
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

    // The fuzz reached the interesting paths, not only the dispatcher's refusals.
    for (const sw of ['9000', '6282', '6700', '6A86', '6D00', '6E00', '6982', '6A82', '6A83']) {
      expect(statusCounts.get(sw) ?? 0, `status ${sw} seen (seed ${SEED})`).toBeGreaterThan(0);
    }

    // The state reopens from disk (sync on, as a restarted card would) and is valid.
    const reopened = FileStore.open(dir);
    try {
      const id = 'F043495459494401';
      const test = 'F054455354415050';
      const allowed = new Set([
        ...image.entries.keys(),
        ...[0x0101, 0x0102, 0x0103, 0x0104].map(testEfKey),
        ...[TEST_PIN, TEST_PUK].flatMap((p) => [`df/${test}/pin/${toHex(Buffer.from([p.ref]))}`, `df/${test}/pin/${toHex(Buffer.from([p.ref]))}/tries`]),
      ]);
      for (const key of reopened.keys()) expect(allowed.has(key), `unexpected key ${key} (seed ${SEED})`).toBe(true);
      for (const [key, value] of image.entries) {
        if (!key.includes('/pin/')) expect(reopened.get(key), `${key} intact (seed ${SEED})`).toEqual(value);
      }
      checkPin(reopened, id, ID_PIN, `seed ${SEED}`);
      checkPin(reopened, id, ID_PUK, `seed ${SEED}`);
      checkPin(reopened, test, TEST_PIN, `seed ${SEED}`);
      checkPin(reopened, test, TEST_PUK, `seed ${SEED}`);
      expect(reopened.get(testEfKey(0x0101))?.length ?? 0).toBeLessThanOrEqual(16);
      expect(reopened.get(testEfKey(0x0102))?.length ?? 0).toBeLessThanOrEqual(300);
      const records = reopened.get(testEfKey(0x0103))?.length ?? 0;
      expect(records % 4 === 0 && records <= 12).toBe(true);
      const log = reopened.get(testEfKey(0x0104))?.length ?? 0;
      expect(log % 2 === 0 && log <= 6).toBe(true);

      const card2 = cardOn(reopened, { extra: [testApplication] });
      expect(send(card2, '00A4040C08F043495459494401')).toBe('9000');
      expect(card2.transmit(fromHex('00B0810000'))).toEqual(
        Buffer.concat([image.entries.get(`df/${id}/ef/0001`)!, fromHex('6282')]),
      );
    } finally {
      reopened.close();
    }
  });
});
