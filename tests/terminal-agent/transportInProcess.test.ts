import { describe, expect, it } from 'vitest';
import { fromHex } from '@citycard/protocols';
import { InProcessAdapter, type InProcessCard } from '../../terminal-agent/src/transport/index.js';
import { CardAbsentError, CardRemovedError, TransportError } from '../../terminal-agent/src/errors.js';

const TOY_ATR = fromHex('3B888001 4349545954455354 18');
const SELECT_MF_CMD = fromHex('00A4000002 3F00');
const SW_9000 = fromHex('9000');
const ECHO_CMD = fromHex('80E0000003 AABBCC 00');
const ECHO_RSP = fromHex('AABBCC 9000');

/** Echoes INS E0 data, answers everything else 9000; records power events. */
class ToyCard implements InProcessCard {
  readonly calls: string[] = [];
  lastCommand: Uint8Array | undefined;
  powerOn(): Buffer {
    this.calls.push('powerOn');
    return TOY_ATR;
  }
  powerOff(): void {
    this.calls.push('powerOff');
  }
  transmit(command: Uint8Array): Buffer {
    this.lastCommand = command;
    if (command[1] === 0xe0) return Buffer.concat([command.subarray(5, 5 + command[4]!), SW_9000]);
    return SW_9000;
  }
}

describe('InProcessAdapter', () => {
  it('powers the card on and exchanges exact bytes', async () => {
    const card = new ToyCard();
    const transport = new InProcessAdapter(card, 'slot 0');
    expect(transport.name).toBe('slot 0');
    expect(await transport.isPresent()).toBe(true);
    expect(await transport.powerOn()).toEqual(TOY_ATR);
    expect(await transport.transmit(SELECT_MF_CMD)).toEqual(SW_9000);
    expect(await transport.transmit(ECHO_CMD)).toEqual(ECHO_RSP);
    expect(card.calls).toEqual(['powerOn']);
  });

  it('copies bytes both ways', async () => {
    const card = new ToyCard();
    const transport = new InProcessAdapter(card);
    const atr = await transport.powerOn();
    atr.fill(0);
    expect(TOY_ATR).toEqual(fromHex('3B888001 4349545954455354 18'));
    const command = Buffer.from(ECHO_CMD);
    await transport.transmit(command);
    expect(card.lastCommand).not.toBe(command);
  });

  it('refuses to transmit before powerOn', async () => {
    const transport = new InProcessAdapter(new ToyCard());
    await expect(transport.transmit(SELECT_MF_CMD)).rejects.toThrow(TransportError);
    await expect(transport.transmit(SELECT_MF_CMD)).rejects.not.toThrow(CardRemovedError);
  });

  it('reports an empty slot', async () => {
    const transport = new InProcessAdapter(undefined);
    expect(await transport.isPresent()).toBe(false);
    await expect(transport.powerOn()).rejects.toThrow(CardAbsentError);
  });

  it('turns removal into CardRemovedError until the next powerOn, and takes a card again', async () => {
    const card = new ToyCard();
    const transport = new InProcessAdapter(card);
    await transport.powerOn();
    expect(transport.remove()).toBe(card);
    expect(card.calls).toEqual(['powerOn', 'powerOff']);
    expect(await transport.isPresent()).toBe(false);
    await expect(transport.transmit(SELECT_MF_CMD)).rejects.toThrow(CardRemovedError);
    await expect(transport.powerOn()).rejects.toThrow(CardAbsentError);

    const other = new ToyCard();
    transport.insert(other);
    expect(await transport.isPresent()).toBe(true);
    await expect(transport.transmit(SELECT_MF_CMD)).rejects.toThrow(CardRemovedError);
    expect(await transport.powerOn()).toEqual(TOY_ATR);
    expect(await transport.transmit(ECHO_CMD)).toEqual(ECHO_RSP);
    expect(other.calls).toEqual(['powerOn']);
  });

  it('refuses a second card in an occupied slot', () => {
    const transport = new InProcessAdapter(new ToyCard());
    expect(() => transport.insert(new ToyCard())).toThrow(TransportError);
  });

  it('wraps a card that throws in TransportError with the cause', async () => {
    const bug = new Error('card bug');
    const card = new ToyCard();
    card.transmit = () => {
      throw bug;
    };
    const transport = new InProcessAdapter(card);
    await transport.powerOn();
    const err = await transport.transmit(SELECT_MF_CMD).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).cause).toBe(bug);
  });

  it('close() powers the card off once and then refuses everything', async () => {
    const card = new ToyCard();
    const transport = new InProcessAdapter(card);
    await transport.powerOn();
    await transport.close();
    await transport.close();
    expect(card.calls).toEqual(['powerOn', 'powerOff']);
    await expect(transport.transmit(SELECT_MF_CMD)).rejects.toThrow(TransportError);
    await expect(transport.powerOn()).rejects.toThrow(TransportError);
    await expect(transport.isPresent()).rejects.toThrow(TransportError);
  });
});
