/**
 * Power cuts inside multi-write commands: for CHANGE REFERENCE DATA and RESET RETRY COUNTER, cut
 * the power at every write point of the command (with and without a torn write), reopen the card
 * from disk and check that the PIN value and counters are as before the command, as after it, or
 * as after its first commit (the used try is committed before comparing, by design; see
 * commands/pin.ts), and that nothing else changed.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultyIo, FileStore, nodeStorageIo, type TornBytes } from '@citycard/card-os';
import { toHex } from '@citycard/protocols';
import { cardOn, fileStoreOf, personalizeImage, send, type PersonalizedImage } from './support/personalizedCard.js';

const ID = 'df/F043495459494401';
const PIN_KEY = `${ID}/pin/01`;
const PIN_TRIES_KEY = `${ID}/pin/01/tries`;
const PUK_TRIES_KEY = `${ID}/pin/81/tries`;
const PIN_KEYS = new Set([PIN_KEY, PIN_TRIES_KEY, PUK_TRIES_KEY]);

const SELECT_ID_CMD = '00A4040C08F043495459494401';
const PIN_123456 = '313233343536FFFF';
const PIN_654321 = '363534333231FFFF';
const CHANGE_PIN_CMD = `0024000110${PIN_123456}${PIN_654321}`;
const RESET_RETRY_COUNTER_CMD = `002C0001103132333435363738${PIN_654321}`;
const VERIFY_WRONG_CMD = '0020000108393939393939FFFF';

interface PinState {
  readonly pin: string;
  readonly pinTries: string;
  readonly pukTries: string;
}

let image: PersonalizedImage;
let root: string;
let baseDir: string;
let copies = 0;

beforeAll(() => {
  image = personalizeImage();
  root = mkdtempSync(join(tmpdir(), 'citycard-tearing-'));
  baseDir = join(root, 'base');
  fileStoreOf(image, baseDir).close();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A copy of the personalized card state, after `setup` commands if given. */
function copyOfCard(setup: readonly string[] = []): string {
  const dir = join(root, `card-${++copies}`);
  cpSync(baseDir, dir, { recursive: true });
  if (setup.length > 0) {
    const store = FileStore.open(dir);
    const card = cardOn(store);
    send(card, SELECT_ID_CMD);
    for (const cmd of setup) send(card, cmd);
    store.close();
  }
  return dir;
}

/** The PIN state on disk; also checks every other value is as personalized. */
function stateOnDisk(dir: string): PinState {
  const store = FileStore.open(dir);
  try {
    expect(store.keys()).toEqual([...image.entries.keys()].sort());
    for (const [key, value] of image.entries) if (!PIN_KEYS.has(key)) expect(store.get(key), key).toEqual(value);
    return {
      pin: toHex(store.get(PIN_KEY)!),
      pinTries: toHex(store.get(PIN_TRIES_KEY)!),
      pukTries: toHex(store.get(PUK_TRIES_KEY)!),
    };
  } finally {
    store.close();
  }
}

/** Run `command` on a copy, losing power at its `n`-th write point (0: never). Returns the answer. */
function runWithPowerCut(dir: string, command: string, n: number, torn: TornBytes): { answer: string; points: number } {
  const io = new FaultyIo(nodeStorageIo);
  const store = FileStore.open(dir, { io });
  const card = cardOn(store);
  expect(send(card, SELECT_ID_CMD)).toBe('9000');
  if (n > 0) io.failAfter(n, torn);
  let answer = '';
  const points = io.measure(() => {
    answer = send(card, command);
  });
  if (n > 0) {
    expect(answer).toBe('6581');
    expect(send(card, SELECT_ID_CMD)).toBe('6581'); // mute until rebuilt over the reopened store
  } else {
    store.close();
  }
  return { answer, points: points.length };
}

function tornCases(): { name: string; torn: TornBytes }[] {
  return [
    { name: 'nothing written', torn: 0 },
    { name: 'half written', torn: (length) => length >> 1 },
    { name: 'all but one byte', torn: (length) => length - 1 },
  ];
}

function checkEveryWritePoint(
  command: string,
  setup: readonly string[],
  states: { before: PinState; charged: PinState; after: PinState },
): void {
  const measured = copyOfCard(setup);
  const { answer, points } = runWithPowerCut(measured, command, 0, 0);
  expect(answer).toBe('9000');
  expect(stateOnDisk(measured)).toEqual(states.after);
  // Two commits (the used try, then the result), each a write and an fsync at least.
  expect(points).toBeGreaterThanOrEqual(4);
  const seen = new Set<string>();
  for (const { name, torn } of tornCases()) {
    for (let n = 1; n <= points; n++) {
      const dir = copyOfCard(setup);
      runWithPowerCut(dir, command, n, torn);
      const state = stateOnDisk(dir);
      const which = Object.entries(states).find(([, s]) => JSON.stringify(s) === JSON.stringify(state))?.[0];
      expect(which, `power cut at write point ${n}/${points} (${name}): ${JSON.stringify(state)}`).toBeDefined();
      seen.add(which!);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // Every outcome shows up somewhere, so the cuts did land inside both commits.
  expect([...seen].sort()).toEqual(['after', 'before', 'charged']);
}

describe('power cuts inside PIN commands', () => {
  it('CHANGE REFERENCE DATA: old PIN (3 or 2 tries) or new PIN (3 tries), never a mix', () => {
    checkEveryWritePoint(CHANGE_PIN_CMD, [], {
      before: { pin: PIN_123456, pinTries: '03', pukTries: '0A' },
      charged: { pin: PIN_123456, pinTries: '02', pukTries: '0A' },
      after: { pin: PIN_654321, pinTries: '03', pukTries: '0A' },
    });
  });

  it('RESET RETRY COUNTER: blocked old PIN (PUK 10 or 9 tries) or new PIN with both counters full', () => {
    const blockPin = [VERIFY_WRONG_CMD, VERIFY_WRONG_CMD, VERIFY_WRONG_CMD];
    checkEveryWritePoint(RESET_RETRY_COUNTER_CMD, blockPin, {
      before: { pin: PIN_123456, pinTries: '00', pukTries: '0A' },
      charged: { pin: PIN_123456, pinTries: '00', pukTries: '09' },
      after: { pin: PIN_654321, pinTries: '03', pukTries: '0A' },
    });
  });

  it('a card reopened after a cut answers by its state on disk', () => {
    const dir = copyOfCard();
    runWithPowerCut(dir, CHANGE_PIN_CMD, 1, 0); // before the used try reached the disk
    const store = FileStore.open(dir);
    const card = cardOn(store);
    send(card, SELECT_ID_CMD);
    expect(send(card, '00200001')).toBe('63C3');
    expect(send(card, `0020000108${PIN_123456}`)).toBe('9000');
    store.close();
  });
});
