import { describe, expect, it } from 'vitest';
import { MemoryStore, PowerLossError, VirtualCard, pinTriesKey, pinValueKey, type PersistentStore } from '@citycard/card-os';
import { fromHex, toHex } from '@citycard/protocols';
import { personalizeTestApplication, testApplication } from './support/testApplication.js';

const TEST_AID_HEX = 'F054455354415050';
const PIN_TRIES_KEY = pinTriesKey(TEST_AID_HEX, 0x01);
const PIN_VALUE_KEY = pinValueKey(TEST_AID_HEX, 0x01);
const PUK_TRIES_KEY = pinTriesKey(TEST_AID_HEX, 0x81);

const SELECT_TEST_CMD = '00A4040C08F054455354415050';
const SELECT_EF_0101_CMD = '00A4000C020101';
const SELECT_MF_CMD = '00A4000C023F00';
const PIN_1234 = '31323334FFFFFFFF';
const PIN_9999 = '39393939FFFFFFFF';
const PIN_55555 = '3535353535FFFFFF';
const PUK_12345678 = '3132333435363738';
const PUK_WRONG = '3132333435363730';
const PUK_7_DIGITS = '31323334353637FF';
const VERIFY_STATUS_CMD = '00200001';
const VERIFY_PIN_1234_CMD = `0020000108${PIN_1234}`;
const VERIFY_PIN_9999_CMD = `0020000108${PIN_9999}`;
const VERIFY_PIN_55555_CMD = `0020000108${PIN_55555}`;
const CHANGE_1234_TO_55555_CMD = `0024000110${PIN_1234}${PIN_55555}`;
const CHANGE_9999_TO_55555_CMD = `0024000110${PIN_9999}${PIN_55555}`;
const RESET_WITH_PUK_CMD = `002C000110${PUK_12345678}${PIN_55555}`;
const RESET_WITH_WRONG_PUK_CMD = `002C000110${PUK_WRONG}${PIN_55555}`;
const VERIFY_PUK_WRONG_CMD = `0020008108${PUK_WRONG}`;
const READ_PIN_FILE_CMD = '00B0820001'; // SFI 02 needs the PIN

function newCard(store: PersistentStore = personalized()): VirtualCard {
  const card = new VirtualCard({ store, applications: [testApplication] });
  card.powerOn();
  expect(send(card, SELECT_TEST_CMD)).toBe('9000');
  return card;
}

function personalized(): MemoryStore {
  const store = new MemoryStore();
  personalizeTestApplication(store);
  return store;
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

describe('VERIFY', () => {
  it('verifies the PIN; the status form tells verified or tries left', () => {
    const card = newCard();
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C3');
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('9000');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('9000');
    expect(send(card, READ_PIN_FILE_CMD)).toBe('6282');
  });

  it('counts wrong PINs down to 63C0, then answers 6983 even to the right PIN', () => {
    const card = newCard();
    expect(send(card, VERIFY_PIN_9999_CMD)).toBe('63C2');
    expect(send(card, VERIFY_PIN_9999_CMD)).toBe('63C1');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C1');
    expect(send(card, VERIFY_PIN_9999_CMD)).toBe('63C0');
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('6983');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('6983');
    expect(send(card, READ_PIN_FILE_CMD)).toBe('6982');
  });

  it('restores the counter on success and clears the verified state on a failure', () => {
    const card = newCard();
    send(card, VERIFY_PIN_9999_CMD);
    send(card, VERIFY_PIN_9999_CMD);
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('9000');
    expect(send(card, VERIFY_PIN_9999_CMD)).toBe('63C2');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C2');
    expect(send(card, READ_PIN_FILE_CMD)).toBe('6982');
  });

  it('forgets the verification on power off, reset, SELECT of the application or the MF, not of an EF', () => {
    const card = newCard();
    send(card, VERIFY_PIN_1234_CMD);
    expect(send(card, SELECT_EF_0101_CMD)).toBe('9000');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('9000');
    expect(send(card, SELECT_TEST_CMD)).toBe('9000');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C3');
    send(card, VERIFY_PIN_1234_CMD);
    send(card, SELECT_MF_CMD);
    send(card, SELECT_TEST_CMD);
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C3');
    send(card, VERIFY_PIN_1234_CMD);
    card.reset();
    send(card, SELECT_TEST_CMD);
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C3');
    send(card, VERIFY_PIN_1234_CMD);
    card.powerOff();
    card.powerOn();
    send(card, SELECT_TEST_CMD);
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C3');
  });

  it('answers 6A80 to a malformed PIN block without using a try', () => {
    const card = newCard();
    expect(send(card, '0020000108FFFFFFFF31323334')).toBe('6A80'); // padding first
    expect(send(card, '0020000108313233FFFFFFFFFF')).toBe('6A80'); // 3 digits
    expect(send(card, '00200001083132333441FFFFFF')).toBe('6A80'); // not a digit
    expect(send(card, '002000010831FF323334FFFFFF')).toBe('6A80'); // digit after padding
    expect(send(card, '0020000108FFFFFFFFFFFFFFFF')).toBe('6A80');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C3');
  });

  it('answers 6700 for a block that is not 8 bytes or an Le, 6A86 for P1, 6A88 for an unknown reference', () => {
    const card = newCard();
    expect(send(card, '002000010731323334FFFFFF')).toBe('6700');
    expect(send(card, '002000010931323334FFFFFFFFFF')).toBe('6700');
    expect(send(card, '0020000100')).toBe('6700');
    expect(send(card, `0020000108${PIN_1234}00`)).toBe('6700');
    expect(send(card, `0020010108${PIN_1234}`)).toBe('6A86');
    expect(send(card, `0020000208${PIN_1234}`)).toBe('6A88');
    send(card, SELECT_MF_CMD);
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('6A88');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('6A88');
  });

  it('answers 6985 for a PIN that was never personalized', () => {
    const card = newCard(new MemoryStore());
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('6985');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('6985');
  });
});

describe('anti-tearing', () => {
  /** A store that records each commit and can lose power at commit number `failAt`. */
  function recordingStore(failAt = Number.POSITIVE_INFINITY): { store: PersistentStore; commits: Map<string, string | null>[] } {
    const inner = personalized();
    const commits: Map<string, string | null>[] = [];
    const store: PersistentStore = {
      get: (key) => inner.get(key),
      keys: () => inner.keys(),
      close: () => inner.close(),
      commit: (changes) => {
        if (commits.length + 1 >= failAt) throw new PowerLossError(commits.length + 1, 'write');
        commits.push(new Map([...changes].map(([k, v]) => [k, v === null ? null : toHex(v)])));
        inner.commit(changes);
      },
    };
    return { store, commits };
  }

  it('commits the decremented counter before comparing, and the restore after', () => {
    const { store, commits } = recordingStore();
    const card = newCard(store);
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('9000');
    expect(commits).toEqual([new Map([[PIN_TRIES_KEY, '02']]), new Map([[PIN_TRIES_KEY, '03']])]);
    commits.length = 0;
    expect(send(card, VERIFY_PIN_9999_CMD)).toBe('63C2');
    expect(commits).toEqual([new Map([[PIN_TRIES_KEY, '02']])]);
  });

  it('keeps the try used when power is lost before the restore', () => {
    const { store } = recordingStore(2);
    const card = newCard(store);
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('6581');
    expect(store.get(PIN_TRIES_KEY)).toEqual(fromHex('02'));
    expect(send(card, VERIFY_STATUS_CMD)).toBe('6581'); // the store is unusable: the card stays mute
  });

  it('changes the PIN value and restores the counter in one commit', () => {
    const { store, commits } = recordingStore();
    const card = newCard(store);
    expect(send(card, CHANGE_1234_TO_55555_CMD)).toBe('9000');
    expect(commits).toEqual([
      new Map([[PIN_TRIES_KEY, '02']]),
      new Map([
        [PIN_VALUE_KEY, PIN_55555],
        [PIN_TRIES_KEY, '03'],
      ]),
    ]);
  });
});

describe('CHANGE REFERENCE DATA', () => {
  it('changes the PIN after checking the old one, and leaves it verified', () => {
    const card = newCard();
    expect(send(card, CHANGE_1234_TO_55555_CMD)).toBe('9000');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('9000');
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('63C2');
    expect(send(card, VERIFY_PIN_55555_CMD)).toBe('9000');
  });

  it('counts a wrong old PIN as a try and changes nothing', () => {
    const store = personalized();
    const card = newCard(store);
    const before = store.get(PIN_VALUE_KEY);
    expect(send(card, CHANGE_9999_TO_55555_CMD)).toBe('63C2');
    expect(store.get(PIN_VALUE_KEY)).toEqual(before);
    send(card, VERIFY_PIN_9999_CMD);
    send(card, VERIFY_PIN_9999_CMD);
    expect(send(card, CHANGE_1234_TO_55555_CMD)).toBe('6983');
  });

  it('refuses malformed blocks (6A80, no try used), wrong lengths (6700) and P1 (6A86)', () => {
    const card = newCard();
    expect(send(card, `0024000110${PIN_1234}FFFFFFFFFFFFFFFF`)).toBe('6A80');
    expect(send(card, `0024000110${PIN_1234}3132FFFFFFFFFFFF`)).toBe('6A80');
    expect(send(card, `0024000108${PIN_1234}`)).toBe('6700');
    expect(send(card, `0024000110${PIN_1234}${PIN_55555}00`)).toBe('6700');
    expect(send(card, `0024010110${PIN_1234}${PIN_55555}`)).toBe('6A86');
    expect(send(card, `0024000310${PIN_1234}${PIN_55555}`)).toBe('6A88');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C3');
  });
});

describe('RESET RETRY COUNTER', () => {
  function blocked(): { card: VirtualCard; store: MemoryStore } {
    const store = personalized();
    const card = newCard(store);
    for (const sw of ['63C2', '63C1', '63C0']) expect(send(card, VERIFY_PIN_9999_CMD)).toBe(sw);
    return { card, store };
  }

  it('unblocks the PIN with the PUK and sets the new PIN', () => {
    const { card, store } = blocked();
    expect(send(card, RESET_WITH_PUK_CMD)).toBe('9000');
    expect(store.get(PIN_TRIES_KEY)).toEqual(fromHex('03'));
    expect(store.get(PUK_TRIES_KEY)).toEqual(fromHex('0A'));
    expect(send(card, VERIFY_STATUS_CMD)).toBe('63C3');
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('63C2');
    expect(send(card, VERIFY_PIN_55555_CMD)).toBe('9000');
  });

  it('counts wrong PUKs and restores the PUK counter on success', () => {
    const { card, store } = blocked();
    expect(send(card, RESET_WITH_WRONG_PUK_CMD)).toBe('63C9');
    expect(send(card, RESET_WITH_WRONG_PUK_CMD)).toBe('63C8');
    expect(send(card, VERIFY_PIN_55555_CMD)).toBe('6983'); // still blocked
    expect(send(card, RESET_WITH_PUK_CMD)).toBe('9000');
    expect(store.get(PUK_TRIES_KEY)).toEqual(fromHex('0A'));
  });

  it('refuses malformed data, wrong lengths and references', () => {
    const { card } = blocked();
    expect(send(card, `002C000110${PUK_7_DIGITS}${PIN_55555}`)).toBe('6A80');
    expect(send(card, `002C000110${PUK_12345678}31FFFFFFFFFFFFFF`)).toBe('6A80'); // 1-digit PIN
    expect(send(card, `002C000108${PUK_12345678}`)).toBe('6700');
    expect(send(card, `002C010110${PUK_12345678}${PIN_55555}`)).toBe('6A86');
    expect(send(card, `002C008110${PUK_12345678}${PIN_55555}`)).toBe('6A88'); // nothing unblocks the PUK
    expect(send(card, '00200081')).toBe('63CA'); // PUK status: all 10 tries left
  });
});

describe('a blocked PUK kills the application for good', () => {
  it('answers 6983 to every VERIFY, CHANGE and RESET, across power cycles', () => {
    const store = personalized();
    const card = newCard(store);
    for (let left = 9; left >= 0; left--) {
      expect(send(card, RESET_WITH_WRONG_PUK_CMD)).toBe(`63C${left.toString(16).toUpperCase()}`);
    }
    expect(send(card, VERIFY_PIN_1234_CMD)).toBe('6983');
    expect(send(card, VERIFY_STATUS_CMD)).toBe('6983');
    expect(send(card, VERIFY_PUK_WRONG_CMD)).toBe('6983');
    expect(send(card, CHANGE_1234_TO_55555_CMD)).toBe('6983');
    expect(send(card, RESET_WITH_PUK_CMD)).toBe('6983');
    expect(send(card, `0020000107${PIN_1234.slice(0, 14)}`)).toBe('6983'); // even malformed
    const again = newCard(store);
    expect(send(again, VERIFY_PIN_1234_CMD)).toBe('6983');
    expect(send(again, READ_PIN_FILE_CMD)).toBe('6982');
  });
});
