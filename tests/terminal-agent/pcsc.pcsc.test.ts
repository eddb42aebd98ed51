// A toy card served by VpcdAdapter in vpcd slot 0 (from its own process, see the fixture), driven
// by PcscAdapter through the real pcscd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, fromHex } from '@citycard/protocols';
import { listPcscReaders, PcscAdapter, PcscContext } from '../../terminal-agent/src/transport/index.js';
import { CardAbsentError, CardRemovedError, ReaderGoneError, TransportError } from '../../terminal-agent/src/errors.js';
import { READ_256_RSP, spawnToyCard, SW_6D00, SW_9000, TOY_ATR, type ToyCardProcess } from './pcscToyCard.fixture.js';

const SLOT0_READER = 'Virtual PCD 00 00';
const SLOT1_READER = 'Virtual PCD 00 01';
const SLOT0_PORT = 35963;
const CARD_HOST = '127.0.0.2';

const SELECT_MF_CMD = fromHex('00A4000002 3F00');
const ECHO_CMD = fromHex('80E0000004 01020304 00');
const ECHO_RSP = fromHex('01020304 9000');
const LONG_ECHO_CMD = concat(fromHex('80E00000FF'), Buffer.alloc(255, 0x5a), fromHex('00'));
const LONG_ECHO_RSP = concat(Buffer.alloc(255, 0x5a), SW_9000);
const READ_256_CMD = fromHex('80E2000000');
const UNKNOWN_INS_CMD = fromHex('80FE000000');

/** Re-check `probe` until it holds; pcscd reports slot changes at its ~400 ms presence poll. */
async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** TCK of an ATR: XOR of every byte from T0 up to the TCK. */
function tck(atr: Uint8Array): number {
  return atr.subarray(1, -1).reduce((acc, b) => acc ^ b, 0);
}

describe('PcscAdapter against pcscd with a vpcd card', () => {
  let card: ToyCardProcess;
  let transport: PcscAdapter;

  beforeAll(async () => {
    card = await spawnToyCard(CARD_HOST, SLOT0_PORT);
    await card.insert();
    transport = await PcscAdapter.open(SLOT0_READER, { removalConfirmMs: 5000 });
  });

  afterAll(async () => {
    await transport?.close();
    await card?.exit();
  });

  it('lists both vpcd readers', async () => {
    const readers = await listPcscReaders();
    expect(readers).toContain(SLOT0_READER);
    expect(readers).toContain(SLOT1_READER);
  });

  it('sees the card with exactly its ATR, which has a correct TCK', async () => {
    expect(TOY_ATR[TOY_ATR.length - 1]).toBe(tck(TOY_ATR));
    expect(await transport.waitForCard(10_000)).toEqual(TOY_ATR);
    expect(await transport.isPresent()).toBe(true);
    expect(await transport.powerOn()).toEqual(TOY_ATR);
    expect(await card.takeCalls()).toContain('powerOn');
  });

  it('exchanges exact bytes', async () => {
    expect(await transport.transmit(SELECT_MF_CMD)).toEqual(SW_9000);
    expect(await transport.transmit(ECHO_CMD)).toEqual(ECHO_RSP);
    expect(await transport.transmit(UNKNOWN_INS_CMD)).toEqual(SW_6D00);
  });

  it('carries a 256-byte response and the longest short command', async () => {
    expect(await transport.transmit(READ_256_CMD)).toEqual(READ_256_RSP);
    expect(await transport.transmit(LONG_ECHO_CMD)).toEqual(LONG_ECHO_RSP);
  });

  it('resets the card on a second powerOn', async () => {
    expect(await transport.powerOn()).toEqual(TOY_ATR);
    expect(await card.takeCalls()).toContain('reset');
    expect(await transport.transmit(ECHO_CMD)).toEqual(ECHO_RSP);
  });

  it('reports a removal as CardRemovedError and the slot as empty', async () => {
    await card.remove();
    await expect(transport.transmit(SELECT_MF_CMD)).rejects.toThrow(CardRemovedError);
    await until(async () => !(await transport.isPresent()), 'pcscd to see the slot empty');
    await expect(transport.transmit(SELECT_MF_CMD)).rejects.toThrow(CardRemovedError);
    await expect(transport.powerOn()).rejects.toThrow(CardAbsentError);
    expect(await card.takeCalls()).toContain('powerOff');
  });

  it('works again after re-insertion', async () => {
    await card.insert();
    expect(await transport.waitForCard(10_000)).toEqual(TOY_ATR);
    expect(await transport.powerOn()).toEqual(TOY_ATR);
    expect(await card.takeCalls()).toContain('powerOn');
    expect(await transport.transmit(ECHO_CMD)).toEqual(ECHO_RSP);
  });

  it('refuses to transmit without a session, and everything once closed', async () => {
    const context = await PcscContext.open();
    try {
      const other = await PcscAdapter.open(SLOT0_READER, { context });
      await expect(other.transmit(SELECT_MF_CMD)).rejects.toThrow('call powerOn() first');
      await expect(PcscAdapter.open(SLOT0_READER, { context })).rejects.toThrow('already open');
      await other.close();
      await other.close();
      await expect(other.transmit(SELECT_MF_CMD)).rejects.toThrow(TransportError);
      expect(context.closed).toBe(false);
      // Released on close: the slot can be opened again in the same context.
      await (await PcscAdapter.open(SLOT0_READER, { context })).close();
    } finally {
      await context.close();
    }
    // The first adapter's session, in its own context, is untouched.
    expect(await transport.transmit(ECHO_CMD)).toEqual(ECHO_RSP);
  });
});

describe('PcscAdapter with no card or no reader', () => {
  it('reports an empty slot 1 as CardAbsentError', async () => {
    const empty = await PcscAdapter.open(SLOT1_READER);
    try {
      expect(await empty.isPresent()).toBe(false);
      await expect(empty.powerOn()).rejects.toThrow(CardAbsentError);
      await expect(empty.waitForCard(100)).rejects.toThrow(CardAbsentError);
    } finally {
      await empty.close();
    }
  });

  it('opens a reader by a unique part of its name and refuses an ambiguous one', async () => {
    const bySubstring = await PcscAdapter.open('PCD 00 01');
    expect(bySubstring.name).toBe(SLOT1_READER);
    await bySubstring.close();
    await expect(PcscAdapter.open('Virtual PCD')).rejects.toThrow('matches several readers');
  });

  it('reports a reader that never shows up as ReaderGoneError', async () => {
    await expect(PcscAdapter.open('No Such Reader', { readerTimeoutMs: 200 })).rejects.toThrow(ReaderGoneError);
  });
});
