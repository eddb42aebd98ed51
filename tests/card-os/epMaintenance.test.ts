/**
 * APPLICATION BLOCK and APPLICATION UNBLOCK (spec §4, §5): the maintenance MAC under DAMK over the
 * APDU header with the card's GET CHALLENGE as ICV; right and wrong MACs, a reused or stale
 * challenge, and what a blocked purse still does.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, VirtualCard, type RandomSource } from '@citycard/card-os';
import { diversifyKey, fromHex, maintenanceMac, toHex } from '@citycard/protocols';
import { EP_LIFECYCLE_KEY, epApplication } from '../../card-os/src/applications/ep/index.js';
import { personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';

const CARD_NUMBER = '1000000000000001';
const FIXED_NOW = new Date('2025-06-01T08:00:00Z');
const MAMK = fromHex('445566778899AABBCCDDEEFF00112233');
const DAMK = 'E24236EC125105C04D2341693D465423';

const SELECT_EP_CMD = '00A4040C08F043495459455001';
const GET_CHALLENGE_CMD = '0084000004';
const GET_CHALLENGE_8_CMD = '0084000008';
const CHALLENGE_1 = '11223344';
const CHALLENGE_2 = '55667788';
const BLOCK_HEADER = '841E000004';
const UNBLOCK_HEADER = '8418000004';
// MAC3 under DAMK, ICV = challenge ‖ 00000000, over the header (padding method 2).
const BLOCK_MAC_1 = 'E7400602';
const UNBLOCK_MAC_1 = '0475E70D';
const UNBLOCK_MAC_2 = 'E0106F6D';
const BLOCK_1_CMD = BLOCK_HEADER + BLOCK_MAC_1;
const UNBLOCK_1_CMD = UNBLOCK_HEADER + UNBLOCK_MAC_1;
const UNBLOCK_2_CMD = UNBLOCK_HEADER + UNBLOCK_MAC_2;
const INIT_PURCHASE_CMD = '805001020B01000000FA000000000001';
const GET_BALANCE_CMD = '805C000204';

function queuedRandom(...values: string[]): RandomSource {
  const queue = [...values];
  return (length) => {
    const next = queue.shift();
    if (next === undefined) throw new Error('random source exhausted');
    expect(next.length).toBe(2 * length);
    return fromHex(next);
  };
}

function setup(...randoms: string[]): { store: MemoryStore; card: VirtualCard } {
  const store = new MemoryStore();
  personalizeEpTestProfile(store, { cardNumber: CARD_NUMBER, balance: 10000, now: FIXED_NOW, timeZone: 'UTC' });
  const card = new VirtualCard({ store, applications: [epApplication], random: queuedRandom(...randoms) });
  card.powerOn();
  expect(send(card, SELECT_EP_CMD)).toBe('9000');
  return { store, card };
}

function send(card: VirtualCard, hex: string): string {
  return toHex(card.transmit(fromHex(hex)));
}

function lifecycle(store: MemoryStore): string {
  return toHex(store.get(EP_LIFECYCLE_KEY)!);
}

describe('EP maintenance MAC', () => {
  it('the fixtures are the §5 MAC under the test profile DAMK', () => {
    const damk = diversifyKey(MAMK, fromHex(CARD_NUMBER));
    expect(toHex(damk)).toBe(DAMK);
    expect(toHex(maintenanceMac(damk, fromHex(CHALLENGE_1), fromHex(BLOCK_HEADER)))).toBe(BLOCK_MAC_1);
    expect(toHex(maintenanceMac(damk, fromHex(CHALLENGE_1), fromHex(UNBLOCK_HEADER)))).toBe(UNBLOCK_MAC_1);
    expect(toHex(maintenanceMac(damk, fromHex(CHALLENGE_2), fromHex(UNBLOCK_HEADER)))).toBe(UNBLOCK_MAC_2);
  });
});

describe('APPLICATION BLOCK / UNBLOCK', () => {
  it('block with the right MAC: INITIALIZE answers 6A81; unblock: it works again', () => {
    const { store, card } = setup(CHALLENGE_1, CHALLENGE_2, 'A1B2C3D4');
    expect(send(card, GET_CHALLENGE_CMD)).toBe(CHALLENGE_1 + '9000');
    expect(send(card, BLOCK_1_CMD)).toBe('9000');
    expect(lifecycle(store)).toBe('06');
    expect(send(card, INIT_PURCHASE_CMD)).toBe('6A81');
    expect(send(card, GET_BALANCE_CMD)).toBe('000027109000');
    expect(send(card, '00B095001E').slice(-4)).toBe('9000');
    expect(send(card, GET_CHALLENGE_CMD)).toBe(CHALLENGE_2 + '9000');
    expect(send(card, UNBLOCK_2_CMD)).toBe('9000');
    expect(lifecycle(store)).toBe('07');
    expect(send(card, INIT_PURCHASE_CMD)).toBe('00002710' + '0000' + '000000' + '01' + '00' + 'A1B2C3D4' + '9000');
  });

  it('the block survives a power cycle and a new SELECT', () => {
    const { card } = setup(CHALLENGE_1);
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, BLOCK_1_CMD)).toBe('9000');
    card.powerOff();
    card.powerOn();
    expect(send(card, SELECT_EP_CMD)).toBe('9000');
    expect(send(card, INIT_PURCHASE_CMD)).toBe('6A81');
  });

  it('wrong MAC: 9302 and nothing changes', () => {
    const { store, card } = setup(CHALLENGE_1, CHALLENGE_1);
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, BLOCK_HEADER + 'E7400603')).toBe('9302');
    expect(lifecycle(store)).toBe('07');
    // The UNBLOCK MAC does not block: the MAC covers INS.
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, BLOCK_HEADER + UNBLOCK_MAC_1)).toBe('9302');
    expect(lifecycle(store)).toBe('07');
  });

  it('a MAC made for another challenge is wrong', () => {
    const { store, card } = setup(CHALLENGE_2);
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, BLOCK_1_CMD)).toBe('9302');
    expect(lifecycle(store)).toBe('07');
  });

  it('a challenge works once: a reused one answers 6985', () => {
    const { store, card } = setup(CHALLENGE_1, CHALLENGE_1);
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, BLOCK_1_CMD)).toBe('9000');
    expect(send(card, UNBLOCK_1_CMD)).toBe('6985');
    expect(lifecycle(store)).toBe('06');
    // A failed attempt uses the challenge up as well.
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, UNBLOCK_HEADER + '00000000')).toBe('9302');
    expect(send(card, UNBLOCK_1_CMD)).toBe('6985');
    expect(lifecycle(store)).toBe('06');
  });

  it('the challenge is for the next command only, and must be 4 bytes', () => {
    const { store, card } = setup(CHALLENGE_1, CHALLENGE_1 + '00000000');
    send(card, GET_CHALLENGE_CMD);
    send(card, GET_BALANCE_CMD);
    expect(send(card, BLOCK_1_CMD)).toBe('6985');
    expect(send(card, GET_CHALLENGE_8_CMD)).toBe(CHALLENGE_1 + '00000000' + '9000');
    expect(send(card, BLOCK_1_CMD)).toBe('6985');
    expect(send(card, BLOCK_1_CMD)).toBe('6985'); // no challenge at all
    expect(lifecycle(store)).toBe('07');
  });

  it('blocking a blocked purse and unblocking an open one answer 9000 and change nothing', () => {
    const { store, card } = setup(CHALLENGE_1, CHALLENGE_1, CHALLENGE_1);
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, UNBLOCK_1_CMD)).toBe('9000');
    expect(lifecycle(store)).toBe('07');
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, BLOCK_1_CMD)).toBe('9000');
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, BLOCK_1_CMD)).toBe('9000');
    expect(lifecycle(store)).toBe('06');
  });

  it('malformed: 6A86 for P1-P2, 6700 for lengths, and the challenge is used up', () => {
    const { store, card } = setup(CHALLENGE_1, CHALLENGE_1);
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, '841E010004' + BLOCK_MAC_1)).toBe('6A86');
    expect(send(card, BLOCK_1_CMD)).toBe('6985');
    send(card, GET_CHALLENGE_CMD);
    expect(send(card, '841E000003E74006')).toBe('6700');
    expect(send(card, BLOCK_1_CMD + '00')).toBe('6700');
    expect(send(card, '801E000004' + BLOCK_MAC_1)).toBe('6D00'); // CLA 80: no such command
    expect(lifecycle(store)).toBe('07');
  });
});
