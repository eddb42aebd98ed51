/**
 * The reader manager in process: event order, role assignment by configured reader names and by
 * ATR (with the PSAM probe for the ATR every CityCard chip shares), waitForCard/samTransport, and
 * a reader that vanishes in the middle of an exchange.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@citycard/protocols';
import {
  MemoryStore,
  VirtualCard,
  buildAtr,
  epApplication,
  idApplication,
  personalizePsamTestProfile,
  psamApplication,
} from '@citycard/card-os';
import { CardAbsentError, CardRemovedError, ReaderGoneError, TransportError } from '../../terminal-agent/src/errors.js';
import type { CardTransport } from '../../terminal-agent/src/transport/cardTransport.js';
import type { InProcessCard } from '../../terminal-agent/src/transport/inProcessAdapter.js';
import {
  Backoff,
  CITYCARD_ATR,
  InProcessReaderManager,
  SlotTransport,
  roleByAtr,
  roleByName,
  type ReaderManager,
} from '../../terminal-agent/src/readers/index.js';

// 3B 88 80 01 ‖ "CITYTEST" ‖ TCK: a chip that is not a CityCard one.
const TOY_ATR = fromHex('3B888001 4349545954455354 18');
const CITYCARD_ATR_HEX = '3B8A800180584349545943415244C0';
const SELECT_PSAM_CMD = fromHex('00A4040008 F04349545953414D 00');
const SELECT_PSAM_RSP = fromHex('6F15 8408F04349545953414D A509 5007434954595341 4D 9000');
const ECHO_CMD = fromHex('80E0000002 CAFE 00');
const ECHO_RSP = fromHex('CAFE 9000');
const SW_9000 = fromHex('9000');
const SW_6D00 = fromHex('6D00');
const TERMINAL_NUMBER = '000000000042';

/** Echoes INS E0, answers 9000 to SELECT, 6D00 otherwise; keeps every APDU it was sent. */
class ToyCard implements InProcessCard {
  readonly received: string[] = [];
  /** Called inside transmit, before answering: lets a test unplug the reader mid-command. */
  duringTransmit: (() => void) | undefined;
  constructor(readonly atr: Buffer = TOY_ATR) {}
  powerOn(): Buffer {
    return Buffer.from(this.atr);
  }
  powerOff(): void {}
  transmit(command: Uint8Array): Buffer {
    this.received.push(toHex(command));
    this.duringTransmit?.();
    if (command[1] === 0xa4) return SW_9000;
    if (command[1] === 0xe0) return Buffer.concat([Buffer.from(command.subarray(5, 5 + (command[4] ?? 0))), SW_9000]);
    return SW_6D00;
  }
}

/** A citizen card (ID + EP, blank is enough here): the CityCard ATR, no PSAM application. */
function citizenCard(): VirtualCard {
  return new VirtualCard({ store: new MemoryStore(), applications: [idApplication, epApplication] });
}

/** A PSAM personalized under the test profile: the same CityCard ATR, and the PSAM application. */
function psam(): VirtualCard {
  const store = new MemoryStore();
  personalizePsamTestProfile(store, { terminalNumber: TERMINAL_NUMBER });
  return new VirtualCard({ store, applications: [psamApplication] });
}

/** Every event as one line, in order. */
function recordEvents(manager: ReaderManager): string[] {
  const events: string[] = [];
  manager.on('readerAdded', (name, role) => events.push(`readerAdded ${name} ${role}`));
  manager.on('readerRemoved', (name) => events.push(`readerRemoved ${name}`));
  manager.on('cardInserted', (slot) => events.push(`cardInserted ${slot.reader} ${slot.role} ${toHex(slot.atr)}`));
  manager.on('cardRemoved', (reader) => events.push(`cardRemoved ${reader}`));
  return events;
}

let manager: InProcessReaderManager;
afterEach(async () => {
  await manager?.close();
});

describe('CITYCARD_ATR and the role rules', () => {
  it('is the ATR the card OS gives every chip, citizen card and PSAM alike', () => {
    expect(toHex(CITYCARD_ATR)).toBe(CITYCARD_ATR_HEX);
    expect(CITYCARD_ATR).toEqual(buildAtr());
    expect(citizenCard().atr).toEqual(CITYCARD_ATR);
    expect(psam().atr).toEqual(CITYCARD_ATR);
  });

  it('names: SAM patterns win over card patterns; substrings and RegExps; unnamed readers have no role', () => {
    const config = { sam: ['SAM', /^Virtual PCD 00 01$/], card: ['PCD'] };
    expect(roleByName('Desk SAM PCD', config)).toBe('sam');
    expect(roleByName('Virtual PCD 00 01', config)).toBe('sam');
    expect(roleByName('Virtual PCD 00 00', config)).toBe('card');
    expect(roleByName('ACS ACR122U', config)).toBeUndefined();
    expect(roleByName('Virtual PCD 00 01', {})).toBeUndefined();
  });

  it('ATRs: a configured SAM ATR, the shared CityCard ATR, anything else a card', () => {
    expect(roleByAtr(TOY_ATR, { samAtrs: [TOY_ATR] })).toBe('sam');
    expect(roleByAtr(CITYCARD_ATR, {})).toBe('cityCard');
    expect(roleByAtr(TOY_ATR, {})).toBe('card');
    expect(roleByAtr(fromHex('3B00'), { samAtrs: [TOY_ATR] })).toBe('card');
  });
});

describe('InProcessReaderManager events', () => {
  it('reports a reader, a card in it, its removal and the reader going, in that order', async () => {
    manager = new InProcessReaderManager();
    const events = recordEvents(manager);
    await manager.attachReader('R0');
    const slot = await manager.insertCard('R0', citizenCard());
    expect(slot?.reader).toBe('R0');
    expect(manager.readers()).toEqual([{ name: 'R0', role: 'card', card: slot }]);
    expect(manager.removeCard('R0')).toBeInstanceOf(VirtualCard);
    expect(manager.removeCard('R0')).toBeUndefined();
    manager.detachReader('R0');
    expect(events).toEqual([
      'readerAdded R0 card',
      `cardInserted R0 card ${CITYCARD_ATR_HEX}`,
      'cardRemoved R0',
      'readerRemoved R0',
    ]);
    expect(manager.readers()).toEqual([]);
  });

  it('announces a reader found with a card in it before the card, and removes the card before the reader', async () => {
    manager = new InProcessReaderManager();
    const events = recordEvents(manager);
    await manager.attachReader('R1', psam());
    manager.detachReader('R1');
    expect(events).toEqual([
      'readerAdded R1 sam',
      `cardInserted R1 sam ${CITYCARD_ATR_HEX}`,
      'cardRemoved R1',
      'readerRemoved R1',
    ]);
  });

  it('refuses a second reader of the same name, unknown readers and a second card in a slot', async () => {
    manager = new InProcessReaderManager();
    await manager.attachReader('R0', new ToyCard());
    await expect(manager.attachReader('R0')).rejects.toThrow(TransportError);
    await expect(manager.insertCard('R0', new ToyCard())).rejects.toThrow('already holds a card');
    expect(() => manager.removeCard('nope')).toThrow('no reader "nope"');
    expect(() => manager.detachReader('nope')).toThrow(TransportError);
  });

  it('emits nothing after close, and refuses further use', async () => {
    manager = new InProcessReaderManager();
    const events = recordEvents(manager);
    await manager.attachReader('R0', new ToyCard());
    const slot = manager.readers()[0]!.card!;
    await manager.close();
    await manager.close();
    expect(events).toEqual(['readerAdded R0 card', `cardInserted R0 card ${toHex(TOY_ATR)}`]);
    await expect(slot.transport.transmit(ECHO_CMD)).rejects.toThrow('closed');
    await expect(manager.attachReader('R1')).rejects.toThrow('closed');
    await expect(manager.waitForCard()).rejects.toThrow(TransportError);
  });
});

describe('roles', () => {
  it('by configured reader names, for empty readers too, without asking the card', async () => {
    manager = new InProcessReaderManager({ roles: { sam: ['SAM'], card: ['PICC'] } });
    const events = recordEvents(manager);
    await manager.attachReader('Desk SAM');
    await manager.attachReader('Desk PICC');
    const toy = new ToyCard();
    const samSlot = await manager.insertCard('Desk SAM', toy);
    const cardSlot = await manager.insertCard('Desk PICC', psam());
    expect(samSlot?.role).toBe('sam');
    // A PSAM in a reader configured for cards is a card: configuration wins over the probe.
    expect(cardSlot?.role).toBe('card');
    expect(toy.received).toEqual([]);
    expect(events.slice(0, 2)).toEqual(['readerAdded Desk SAM sam', 'readerAdded Desk PICC card']);
  });

  it('by ATR: the CityCard ATR is probed for the PSAM application; another ATR is a card, unasked', async () => {
    manager = new InProcessReaderManager();
    await manager.attachReader('R0');
    await manager.attachReader('R1');
    await manager.attachReader('R2');
    const toy = new ToyCard();
    expect((await manager.insertCard('R0', citizenCard()))?.role).toBe('card');
    expect((await manager.insertCard('R1', psam()))?.role).toBe('sam');
    expect((await manager.insertCard('R2', toy))?.role).toBe('card');
    expect(toy.received).toEqual([]);
    expect(manager.readers().map((r) => `${r.name} ${r.role}`)).toEqual(['R0 card', 'R1 sam', 'R2 card']);
  });

  it('by a configured SAM ATR; and with the probe off a PSAM with the CityCard ATR is a card', async () => {
    manager = new InProcessReaderManager({ roles: { samAtrs: [TOY_ATR], probeCityCardAtr: false } });
    await manager.attachReader('R0');
    await manager.attachReader('R1');
    const toy = new ToyCard();
    expect((await manager.insertCard('R0', toy))?.role).toBe('sam');
    expect(toy.received).toEqual([]);
    expect((await manager.insertCard('R1', psam()))?.role).toBe('card');
  });

  it('sends SELECT of the PSAM AID as the probe', async () => {
    manager = new InProcessReaderManager();
    await manager.attachReader('R0');
    const cityToy = new ToyCard(CITYCARD_ATR);
    // The toy answers 9000 to any SELECT, so it passes for a PSAM: what is checked is the command.
    expect((await manager.insertCard('R0', cityToy))?.role).toBe('sam');
    expect(cityToy.received).toEqual([toHex(SELECT_PSAM_CMD)]);
  });

  it('announces nothing for a card pulled out while it was being probed', async () => {
    manager = new InProcessReaderManager();
    await manager.attachReader('R0');
    const events = recordEvents(manager);
    const cityToy = new ToyCard(CITYCARD_ATR);
    cityToy.duringTransmit = () => void manager.removeCard('R0');
    expect(await manager.insertCard('R0', cityToy)).toBeUndefined();
    expect(cityToy.received).toEqual([toHex(SELECT_PSAM_CMD)]);
    expect(events).toEqual([]);
    expect(manager.readers()).toEqual([{ name: 'R0', role: 'card', card: undefined }]);
  });
});

describe('samTransport and waitForCard', () => {
  it('gives the PSAM slot while a PSAM is in, ready for a session', async () => {
    manager = new InProcessReaderManager();
    await manager.attachReader('R0');
    await manager.attachReader('R1');
    expect(manager.samTransport()).toBeUndefined();
    await manager.insertCard('R0', citizenCard());
    expect(manager.samTransport()).toBeUndefined();
    const slot = await manager.insertCard('R1', psam());
    const sam = manager.samTransport();
    expect(sam).toBe(slot?.transport);
    expect(await sam!.powerOn()).toEqual(CITYCARD_ATR);
    expect(await sam!.transmit(SELECT_PSAM_CMD)).toEqual(SELECT_PSAM_RSP);
    manager.removeCard('R1');
    expect(manager.samTransport()).toBeUndefined();
  });

  it('hands out each cardholder card once: one already in first, then the next insertion; never a SAM', async () => {
    manager = new InProcessReaderManager();
    await manager.attachReader('R0', citizenCard());
    await manager.attachReader('R1');
    const first = await manager.waitForCard();
    expect(first.reader).toBe('R0');

    const next = manager.waitForCard();
    await manager.insertCard('R1', psam());
    manager.removeCard('R0');
    const second = await manager.insertCard('R0', new ToyCard());
    expect(await next).toBe(second);
    expect(second?.role).toBe('card');
  });

  it('rejects with the abort reason, and on close', async () => {
    manager = new InProcessReaderManager();
    const controller = new AbortController();
    const aborted = manager.waitForCard(controller.signal);
    controller.abort(new Error('gate closing'));
    await expect(aborted).rejects.toThrow('gate closing');
    await expect(manager.waitForCard(controller.signal)).rejects.toThrow('gate closing');

    const pending = manager.waitForCard();
    await manager.close();
    await expect(pending).rejects.toThrow('the reader manager is closed');
  });

  it('a card removed before anyone asked for it is not handed out', async () => {
    manager = new InProcessReaderManager();
    await manager.attachReader('R0', new ToyCard());
    manager.removeCard('R0');
    const next = manager.waitForCard();
    const slot = await manager.insertCard('R0', new ToyCard());
    expect(await next).toBe(slot);
  });
});

describe('slots end with their card or their reader', () => {
  it('a slot whose card left refuses to reach the next card in the same reader', async () => {
    manager = new InProcessReaderManager();
    await manager.attachReader('R0', new ToyCard());
    const old = manager.readers()[0]!.card!;
    await old.transport.powerOn();
    expect(await old.transport.transmit(ECHO_CMD)).toEqual(ECHO_RSP);
    manager.removeCard('R0');
    const fresh = (await manager.insertCard('R0', new ToyCard()))!;
    await expect(old.transport.transmit(ECHO_CMD)).rejects.toThrow(CardRemovedError);
    await expect(old.transport.powerOn()).rejects.toThrow(CardAbsentError);
    expect(await old.transport.isPresent()).toBe(false);
    expect(await fresh.transport.powerOn()).toEqual(TOY_ATR);
    expect(await fresh.transport.transmit(ECHO_CMD)).toEqual(ECHO_RSP);
  });

  it('a reader that vanishes mid-transmit fails that exchange with ReaderGoneError, not CardRemovedError', async () => {
    manager = new InProcessReaderManager();
    const toy = new ToyCard();
    await manager.attachReader('R0', toy);
    const events = recordEvents(manager);
    const slot = manager.readers()[0]!.card!;
    await slot.transport.powerOn();
    toy.duringTransmit = () => manager.detachReader('R0');

    const failure = await slot.transport.transmit(ECHO_CMD).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ReaderGoneError);
    expect(failure).not.toBeInstanceOf(CardRemovedError);
    expect((failure as Error).message).toBe('reader "R0" vanished during the exchange; its outcome is unknown');
    // The card did receive the command: its outcome is what is unknown.
    expect(toy.received).toEqual([toHex(ECHO_CMD)]);
    expect(events).toEqual(['cardRemoved R0', 'readerRemoved R0']);
    await expect(slot.transport.transmit(ECHO_CMD)).rejects.toThrow('reader "R0" vanished');
    await expect(slot.transport.isPresent()).rejects.toThrow(ReaderGoneError);
    expect(manager.readers()).toEqual([]);
  });

  it('an exchange still waiting on the reader fails as soon as the reader vanishes', async () => {
    let answer: (response: Buffer) => void = () => {};
    const slowReader: CardTransport = {
      name: 'slow',
      powerOn: async () => TOY_ATR,
      transmit: () => new Promise<Buffer>((resolve) => (answer = resolve)),
      isPresent: async () => true,
      close: async () => {},
    };
    const slot = new SlotTransport(slowReader);
    const inFlight = slot.transmit(ECHO_CMD);
    slot.readerVanished();
    await expect(inFlight).rejects.toThrow('reader "slow" vanished during the exchange; its outcome is unknown');
    // A late answer changes nothing.
    answer(ECHO_RSP);
    await expect(slot.transmit(ECHO_CMD)).rejects.toThrow(ReaderGoneError);
  });
});

describe('SlotTransport over a reader transport that learns first', () => {
  it('turns the reader transport\'s ReaderGoneError into this slot\'s, with it as the cause, and stays gone', async () => {
    const goneFirst = new ReaderGoneError('reader "R9" is gone: SCardTransmit error');
    let calls = 0;
    const reader: CardTransport = {
      name: 'R9',
      powerOn: async () => TOY_ATR,
      transmit: async () => {
        calls += 1;
        throw goneFirst;
      },
      isPresent: async () => true,
      close: async () => {},
    };
    const slot = new SlotTransport(reader);
    const failure = await slot.transmit(ECHO_CMD).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ReaderGoneError);
    expect((failure as Error).message).toBe('reader "R9" vanished during the exchange; its outcome is unknown');
    expect((failure as Error).cause).toBe(goneFirst);
    await expect(slot.powerOn()).rejects.toThrow('reader "R9" vanished');
    expect(calls).toBe(1);
  });
});

describe('Backoff', () => {
  it('doubles from the initial delay up to the ceiling, and starts again after reset', () => {
    const backoff = new Backoff({ initialDelayMs: 250, maxDelayMs: 2000 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      250, 500, 1000, 2000, 2000,
    ]);
    backoff.reset();
    expect(backoff.next()).toBe(250);
    expect(new Backoff().next()).toBe(250);
    expect(() => new Backoff({ initialDelayMs: -1 })).toThrow(RangeError);
  });
});
