/**
 * The station never sees a clear key or PIN: after personalizing a card and a PSAM (and a run
 * that fails), none of the spec §7 test keys, MTRK, the card's diversified keys, its transport
 * key, the session keys, or the PIN and PUK appear, in binary or in hex, in the APDU trail, the
 * trace log (pino at level trace), the error, stdout/stderr, or anything the HSM handed the
 * station.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { CARD_TYPE, diversifyKey, encodeBcd, fromHex, toHex } from '@citycard/protocols';
import { MemoryStore, idApplication } from '@citycard/card-os';
import { sessionKeys } from '@citycard/hsm-sim';
import { type ApduTrailEntry, type CardTransport, InProcessAdapter } from '@citycard/terminal-agent';
import { epApplication } from '../../card-os/src/applications/ep/index.js';
import { psamApplication } from '../../card-os/src/applications/psam/index.js';
import { ManagedCard, TEST_MTRK, manufactureBlankCard, transportKeyFor, type CardProfileKind } from '../../card-os/src/personalization/secure/index.js';
import {
  PersonalizationFailedError,
  personalizeCard,
  personalizePsam,
  type CardOrder,
  type StationCustodian,
} from '../../terminal-agent/src/personalization/index.js';
import { TEST_MASTER_KEYS, type TestHsm, makeTestHsm } from '../hsm-sim/fixtures.js';

const CARD_NUMBER = '1000000000000001';
const CARD_CSN = fromHex('CAFE0000000000C1');
const PSAM_CSN = fromHex('CAFE0000000000A1');
const PIN_ASCII = Buffer.from('123456', 'ascii');
const PIN_BLOCK = fromHex('313233343536FFFF');
const PUK_BLOCK = fromHex('3132333435363738');
const ORDER: CardOrder = {
  cardInfo: { cardNumber: CARD_NUMBER, effectiveDate: '20261123', expiryDate: '20361122', cardType: CARD_TYPE.senior, issuerId: '0000000000000001' },
  cardholder: { name: 'Test Senior', citizenId: '110101195001019876', dateOfBirth: '19500101', residency: 'permanent' },
  purse: { maxBalance: 100_000, maxSinglePurchase: 50_000 },
};

function blankSlot(profile: CardProfileKind, csn: Buffer): InProcessAdapter {
  const store = new MemoryStore();
  manufactureBlankCard(store, { profile, csn, transportKey: transportKeyFor(TEST_MTRK, csn) });
  const applications = profile === 'card' ? [idApplication, epApplication] : [psamApplication];
  return new InProcessAdapter(new ManagedCard({ store, applications }), profile);
}

/** A custodian that records every value it hands to the station. */
function recording(custodian: StationCustodian, seen: Buffer[]): StationCustodian {
  const record = (value: unknown): void => {
    if (Buffer.isBuffer(value)) seen.push(Buffer.from(value));
    else if (Array.isArray(value)) value.forEach(record);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(record);
    else if (typeof value === 'string') seen.push(Buffer.from(value, 'utf8'));
  };
  return new Proxy(custodian, {
    get(target, property, receiver) {
      const member: unknown = Reflect.get(target, property, receiver);
      if (typeof member !== 'function') return member;
      return async (...args: unknown[]) => {
        const result: unknown = await (member as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        record(result);
        return result;
      };
    },
  });
}

/** Every secret, with its 8-byte halves for keys: a half key is a leak too. */
function secretsOf(named: Record<string, Buffer>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [name, value] of Object.entries(named)) {
    out.set(name, value);
    if (value.length === 16) {
      out.set(`${name} left half`, value.subarray(0, 8));
      out.set(`${name} right half`, value.subarray(8));
    }
  }
  return out;
}

/** The names of the secrets found in `haystack`, as bytes and as hex in either case. */
function leaks(secrets: Map<string, Buffer>, haystack: Buffer): string[] {
  const text = haystack.toString('latin1');
  const found: string[] = [];
  for (const [name, secret] of secrets) {
    const hex = toHex(secret);
    if (haystack.includes(secret) || text.includes(hex) || text.includes(hex.toLowerCase())) found.push(name);
  }
  return found;
}

function trailBytes(trail: readonly ApduTrailEntry[]): Buffer {
  return Buffer.concat(trail.flatMap((e) => [e.command, e.response ?? Buffer.alloc(0), Buffer.from(`${toHex(e.command)} ${toHex(e.response ?? Buffer.alloc(0))}\n`)]));
}

let hsm: TestHsm;
const logLines: string[] = [];
const consoleOutput: string[] = [];
const seenFromHsm: Buffer[] = [];
const trails: ApduTrailEntry[] = [];
const errors: string[] = [];
const sessionSecrets: Record<string, Buffer> = {};

beforeAll(async () => {
  hsm = makeTestHsm();
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const capture = (chunk: unknown): boolean => {
    consoleOutput.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const station = recording(hsm.as('bureau'), seenFromHsm);
    const card = await personalizeCard(blankSlot('card', CARD_CSN), station, ORDER, { logger });
    trails.push(...card.trail);
    const psam = await personalizePsam(blankSlot('psam', PSAM_CSN), station, { terminalNumber: '000000000001', keyVersions: [1] }, { logger });
    trails.push(...psam.trail);
    // A run that fails after the keys and PINs went out: its error and trail must be clean too.
    const slot = blankSlot('card', CARD_CSN);
    const failing: CardTransport = {
      name: 'failing',
      powerOn: () => slot.powerOn(),
      isPresent: () => slot.isPresent(),
      close: () => slot.close(),
      transmit: async (apdu) => (apdu[1] === 0x46 ? Buffer.from('6A80', 'hex') : slot.transmit(apdu)),
    };
    const failure = await personalizeCard(failing, station, ORDER, { logger }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(PersonalizationFailedError);
    const failed = failure as PersonalizationFailedError;
    trails.push(...failed.trail);
    errors.push(failed.message, String(failed.cause), JSON.stringify(failed));
    // The session keys of each session, from the randoms the trail shows.
    for (const [index, trail] of [card.trail, psam.trail, failed.trail].entries()) {
      const rh = trail[0]!.command.subarray(5, 13);
      const rc = trail[0]!.response!.subarray(8, 16);
      const csn = trail[0]!.response!.subarray(0, 8);
      const keys = sessionKeys(transportKeyFor(TEST_MTRK, csn), rc, rh);
      sessionSecrets[`S-ENC of session ${index}`] = keys.enc;
      sessionSecrets[`S-MAC of session ${index}`] = keys.mac;
    }
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
});
afterAll(() => hsm.dispose());

describe('secrets at the station', () => {
  let secrets: Map<string, Buffer>;
  beforeAll(() => {
    const master = (name: keyof typeof TEST_MASTER_KEYS): Buffer => fromHex(TEST_MASTER_KEYS[name]);
    const factor = encodeBcd(CARD_NUMBER);
    secrets = secretsOf({
      MPK: master('MPK'),
      MLK: master('MLK'),
      MTK: master('MTK'),
      MAMK: master('MAMK'),
      MTRK: master('MTRK'),
      DPK: diversifyKey(master('MPK'), factor),
      DLK: diversifyKey(master('MLK'), factor),
      DTK: diversifyKey(master('MTK'), factor),
      DAMK: diversifyKey(master('MAMK'), factor),
      'card KT': transportKeyFor(TEST_MTRK, CARD_CSN),
      'PSAM KT': transportKeyFor(TEST_MTRK, PSAM_CSN),
      PIN: PIN_ASCII,
      'PIN block': PIN_BLOCK,
      'PUK block': PUK_BLOCK,
      ...sessionSecrets,
    });
  });

  it('the runs happened and were logged at trace level', () => {
    expect(trails.length).toBeGreaterThan(30);
    expect(logLines.length).toBe(trails.length);
    expect(Object.keys(sessionSecrets)).toHaveLength(6);
    // The search finds a secret where there is one (the haystack helpers are not blind).
    const dpk = diversifyKey(fromHex(TEST_MASTER_KEYS.MPK), encodeBcd(CARD_NUMBER));
    expect(leaks(secrets, Buffer.from(`x${toHex(dpk).toLowerCase()}x`))).toEqual(['DPK', 'DPK left half', 'DPK right half']);
    expect(leaks(secrets, Buffer.concat([fromHex('00'), PIN_BLOCK, fromHex('00')]))).toEqual(['PIN', 'PIN block']);
  });

  it('none in the APDU trail', () => {
    expect(leaks(secrets, trailBytes(trails))).toEqual([]);
  });

  it('none in the trace log, the errors or stdout/stderr', () => {
    expect(leaks(secrets, Buffer.from(logLines.join('')))).toEqual([]);
    expect(leaks(secrets, Buffer.from(errors.join('\n')))).toEqual([]);
    expect(leaks(secrets, Buffer.from(consoleOutput.join('')))).toEqual([]);
  });

  it('none in anything the HSM handed the station', () => {
    expect(seenFromHsm.length).toBeGreaterThan(20);
    expect(leaks(secrets, Buffer.concat(seenFromHsm.flatMap((b) => [b, Buffer.from('\n')])))).toEqual([]);
  });

  it('the PIN and PUK travel encrypted: their STORE DATA commands differ from one session to the next', () => {
    const pinCommands = trails.filter((e) => e.name === 'STORE DATA' && e.command.length === 5 + 16 + 8).map((e) => toHex(e.command));
    // Two citizen card sessions, each with the PIN and the PUK (and the EP limits, also 8+4 bytes).
    expect(pinCommands.length).toBeGreaterThanOrEqual(4);
    expect(new Set(pinCommands).size).toBe(pinCommands.length);
  });
});
