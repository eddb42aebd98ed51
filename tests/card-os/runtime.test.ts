import { describe, expect, it } from 'vitest';
import {
  CardError,
  MemoryStore,
  StorageError,
  PowerLossError,
  VirtualCard,
  defineApplication,
  idApplication,
  respond,
  statusWordOf,
  type PersistentStore,
} from '@citycard/card-os';
import { ApduFormatError, BcdError, fromHex, toHex } from '@citycard/protocols';
import { seededRandom } from './support/seededRandom.js';
import { testApplication } from './support/testApplication.js';

const SELECT_TEST_CMD = '00A4040C08F054455354415050';
const TEST_COUNT_CMD = '80CA000000'; // test application: calls since SELECT
const SELECT_MF_CMD = '00A4000C023F00';
const GET_CHALLENGE_4_CMD = '0084000004';
const GET_CHALLENGE_8_CMD = '0084000008';
// seededRandom(1): the first 4 bytes, then the next 8.
const CHALLENGE_4_RSP = 'F3C9EBFD9000';
const CHALLENGE_8_RSP = '2B30F05C70710A2E9000';

const SW_9000 = '9000';
const SW_6700 = '6700';
const SW_6A86 = '6A86';
const SW_6D00 = '6D00';
const SW_6E00 = '6E00';
const SW_6F00 = '6F00';
const SW_6581 = '6581';

function newCard(store: PersistentStore = new MemoryStore(), bugs: unknown[] = []): VirtualCard {
  return new VirtualCard({
    store,
    applications: [idApplication, testApplication, faultyApplication],
    random: seededRandom(1),
    onInternalError: (err) => bugs.push(err),
  });
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

// An application whose commands throw each kind of error the dispatcher must map.
const FAULTY_AID = fromHex('F0 46 41 55 4C 54 59');
const SELECT_FAULTY_CMD = '00A4040C07F04641554C5459';
const faultyApplication = defineApplication({
  name: 'FAULTY',
  aid: FAULTY_AID,
  files: [],
  commands: [
    { cla: 0x80, ins: 0x01, handle: () => { throw new CardError(0x6a81); } },
    { cla: 0x80, ins: 0x02, handle: () => { throw new StorageError('disk gone'); } },
    { cla: 0x80, ins: 0x03, handle: () => { throw new TypeError('a bug'); } },
    { cla: 0x80, ins: 0x04, handle: () => { throw new BcdError('bad date'); } },
    { cla: 0x80, ins: 0x05, handle: () => { throw new ApduFormatError('odd', 0x6a80); } },
    {
      // 80 06: the challenge of the command just before, or 6985.
      cla: 0x80,
      ins: 0x06,
      handle: (_cmd, ctx) => {
        const challenge = ctx.session.takeChallenge();
        if (challenge === undefined) throw new CardError(0x6985);
        return respond(challenge, 0x9000);
      },
    },
    { cla: 0x84, ins: 0x07, handle: () => respond(Buffer.alloc(0), 0x9000) },
  ],
});

describe('dispatcher: CLA and INS', () => {
  it('answers 6700 to fewer than 4 bytes', () => {
    const card = newCard();
    expect(send(card, '')).toBe(SW_6700);
    expect(send(card, '00')).toBe(SW_6700);
    expect(send(card, '00A404')).toBe(SW_6700);
  });

  it('answers 6E00 to classes no one uses, 6D00 to unknown INS in used classes', () => {
    const card = newCard();
    expect(send(card, 'FFCA000000')).toBe(SW_6E00); // PC/SC pseudo-APDU
    expect(send(card, '0CA4040C00')).toBe(SW_6E00); // secure messaging
    expect(send(card, '10A4040000')).toBe(SW_6E00); // chaining
    expect(send(card, '01A4040000')).toBe(SW_6E00); // logical channel 1
    expect(send(card, '0000000000')).toBe(SW_6D00);
    expect(send(card, '00B1000000')).toBe(SW_6D00); // odd READ BINARY
    expect(send(card, '8050000200')).toBe(SW_6D00); // purse INS, no purse installed
    expect(send(card, '841E000000')).toBe(SW_6D00);
  });

  it('reports a wrong CLA or INS before a wrong length', () => {
    const card = newCard();
    expect(send(card, 'FFA4040005F0')).toBe(SW_6E00);
    expect(send(card, '00EE040005F0')).toBe(SW_6D00);
    expect(send(card, '00A4040005F0')).toBe(SW_6700);
    expect(send(card, '00A4040000 0008F043495459494401')).toBe(SW_6700); // extended length
  });

  it('routes an application command only while that application is selected', () => {
    const card = newCard();
    expect(send(card, TEST_COUNT_CMD)).toBe(SW_6D00);
    expect(send(card, SELECT_TEST_CMD)).toBe(SW_9000);
    expect(send(card, TEST_COUNT_CMD)).toBe('019000');
    expect(send(card, TEST_COUNT_CMD)).toBe('029000');
    expect(send(card, SELECT_MF_CMD)).toBe(SW_9000);
    expect(send(card, TEST_COUNT_CMD)).toBe(SW_6D00);
  });

  it('gives an application fresh volatile state at each SELECT and on power on / reset', () => {
    const card = newCard();
    send(card, SELECT_TEST_CMD);
    send(card, TEST_COUNT_CMD);
    expect(send(card, SELECT_TEST_CMD)).toBe(SW_9000);
    expect(send(card, TEST_COUNT_CMD)).toBe('019000');
    expect(send(card, '00A4040C05F054455354')).toBe('6A82'); // a failed SELECT keeps the selection
    expect(send(card, TEST_COUNT_CMD)).toBe('029000');
    card.reset();
    expect(send(card, TEST_COUNT_CMD)).toBe(SW_6D00);
    send(card, SELECT_TEST_CMD);
    card.powerOff();
    card.powerOn();
    expect(send(card, TEST_COUNT_CMD)).toBe(SW_6D00);
  });

  it('powers the card on by itself when a command arrives unpowered', () => {
    const card = newCard();
    expect(card.isPowered).toBe(false);
    expect(send(card, SELECT_TEST_CMD)).toBe(SW_9000);
    expect(card.isPowered).toBe(true);
    card.powerOff();
    expect(card.isPowered).toBe(false);
  });
});

describe('dispatcher: one place turns errors into status words', () => {
  it('maps CardError, protocol errors with a status word, and bugs (6F00)', () => {
    const bugs: unknown[] = [];
    const card = newCard(new MemoryStore(), bugs);
    expect(send(card, SELECT_FAULTY_CMD)).toBe(SW_9000);
    expect(send(card, '8001000000')).toBe('6A81');
    expect(bugs).toEqual([]);
    send(card, SELECT_FAULTY_CMD);
    expect(send(card, '8004000000')).toBe('6A80');
    expect(send(card, '8005000000')).toBe('6A80');
    expect(send(card, '8403000000')).toBe(SW_6D00); // CLA 84 is known, this INS is not
    expect(send(card, '8407000000')).toBe(SW_9000);
    expect(send(card, '8003000000')).toBe(SW_6F00);
    expect(bugs).toHaveLength(1);
    expect(bugs[0]).toBeInstanceOf(TypeError);
  });

  it('drops the volatile state after a bug', () => {
    const card = newCard();
    send(card, SELECT_FAULTY_CMD);
    send(card, '8003000000');
    expect(send(card, '8001000000')).toBe(SW_6D00); // the MF is selected again
  });

  it('answers 6581 to everything once the store failed, across power cycles', () => {
    const card = newCard();
    send(card, SELECT_FAULTY_CMD);
    expect(card.storageFailure).toBeUndefined();
    expect(send(card, '8002000000')).toBe(SW_6581);
    expect(card.storageFailure).toBeInstanceOf(StorageError);
    expect(send(card, SELECT_FAULTY_CMD)).toBe(SW_6581);
    card.powerOff();
    card.powerOn();
    expect(send(card, '00A4000C023F00')).toBe(SW_6581);
  });

  it('answers 6581 when a command cannot commit', () => {
    const failing: PersistentStore = {
      get: () => undefined,
      keys: () => [],
      commit: () => {
        throw new PowerLossError(1, 'write');
      },
      close: () => {},
    };
    const card = newCard(failing);
    send(card, SELECT_TEST_CMD);
    expect(send(card, '00D6810002AABB')).toBe(SW_6581);
  });

  it('statusWordOf knows the error types and nothing else', () => {
    expect(statusWordOf(new CardError(0x6a82))).toBe(0x6a82);
    expect(statusWordOf(new ApduFormatError('x'))).toBe(0x6700);
    expect(statusWordOf(new StorageError('x'))).toBe(0x6581);
    expect(statusWordOf(new BcdError('x'))).toBe(0x6a80);
    expect(statusWordOf(new RangeError('x'))).toBeUndefined();
    expect(statusWordOf('string')).toBeUndefined();
  });

  it('CardError refuses a status word that does not fit 16 bits', () => {
    expect(() => new CardError(0x10000)).toThrow(RangeError);
    expect(() => new CardError(-1)).toThrow(RangeError);
    expect(new CardError(0x6a82).message).toBe('6A82 file or application not found');
  });
});

describe('GET CHALLENGE', () => {
  it('answers 4 or 8 random bytes', () => {
    const card = newCard();
    expect(send(card, GET_CHALLENGE_4_CMD)).toBe(CHALLENGE_4_RSP);
    expect(send(card, GET_CHALLENGE_8_CMD)).toBe(CHALLENGE_8_RSP);
  });

  it('refuses other lengths and parameters', () => {
    const card = newCard();
    expect(send(card, '0084000005')).toBe(SW_6700);
    expect(send(card, '0084000000')).toBe(SW_6700); // Le 256
    expect(send(card, '00840000')).toBe(SW_6700);
    expect(send(card, '008400000104')).toBe(SW_6700); // data instead of Le
    expect(send(card, '0084010004')).toBe(SW_6A86);
    expect(send(card, '0084000104')).toBe(SW_6A86);
  });

  it('keeps the challenge for the next command only', () => {
    const card = newCard();
    send(card, SELECT_FAULTY_CMD);
    expect(send(card, GET_CHALLENGE_4_CMD)).toBe(CHALLENGE_4_RSP);
    expect(send(card, '8006000000')).toBe(CHALLENGE_4_RSP);
    expect(send(card, '8006000000')).toBe('6985'); // consumed
    send(card, GET_CHALLENGE_8_CMD);
    send(card, '0084000004'); // a newer challenge replaces it
    send(card, '00B0810001'); // and any other command in between voids it
    expect(send(card, '8006000000')).toBe('6985');
  });
});

describe('installing applications', () => {
  const store = new MemoryStore();
  const base = { name: 'X', files: [] };

  it('refuses duplicate AIDs, bad AIDs, duplicate FIDs and SFIs', () => {
    expect(() => new VirtualCard({ store, applications: [idApplication, idApplication] })).toThrow(RangeError);
    expect(() => new VirtualCard({ store, applications: [{ ...base, aid: fromHex('F0010203') }] })).toThrow(RangeError);
    const ef = { type: 'transparent', maxSize: 4, access: { read: { kind: 'always' }, update: { kind: 'never' } } } as const;
    const twoFids = { ...base, aid: fromHex('F001020304'), files: [{ ...ef, fid: 1 }, { ...ef, fid: 1 }] };
    expect(() => new VirtualCard({ store, applications: [twoFids] })).toThrow(RangeError);
    const twoSfis = { ...base, aid: fromHex('F001020304'), files: [{ ...ef, fid: 1, sfi: 2 }, { ...ef, fid: 2, sfi: 2 }] };
    expect(() => new VirtualCard({ store, applications: [twoSfis] })).toThrow(RangeError);
    const badSfi = { ...base, aid: fromHex('F001020304'), files: [{ ...ef, fid: 1, sfi: 31 }] };
    expect(() => new VirtualCard({ store, applications: [badSfi] })).toThrow(RangeError);
    const mfFid = { ...base, aid: fromHex('F001020304'), files: [{ ...ef, fid: 0x3f00 }] };
    expect(() => new VirtualCard({ store, applications: [mfFid] })).toThrow(RangeError);
    const sameDfFid = { ...base, aid: fromHex('F001020304'), fid: 0xdf01 };
    expect(() => new VirtualCard({ store, applications: [idApplication, sameDfFid] })).toThrow(RangeError);
  });
});
