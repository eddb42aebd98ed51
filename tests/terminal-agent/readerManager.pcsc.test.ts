/**
 * The PC/SC reader manager over the real pcscd and vpcd. Cards are their own processes (`citycard
 * card serve` / `psam serve`, and a slow toy card) connecting to vpcd at 127.0.0.2.
 *
 * vpcd readers come from pcscd's configuration: both stay listed whether or not a virtual card is
 * connected (a card connecting is an insertion, disconnecting a removal), and pcscd cannot drop
 * or re-add one of them while it runs. "Unplugging and replugging the virtual reader" is therefore
 * a restart of pcscd: every reader vanishes with the service and comes back with it. The last test
 * does exactly that, through `citycard stack` (stop the pcscd it recorded, start it again), and
 * only when the stack's record says this project started that pcscd; a `finally` brings it back
 * up whatever happens. Run with the PC/SC lock held, as every pcsc suite:
 * `flock /tmp/citycard-pcsc.lock npx vitest run tests/terminal-agent/readerManager.pcsc.test.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@citycard/protocols';
import { CardRemovedError, ReaderGoneError } from '../../terminal-agent/src/errors.js';
import { CITYCARD_ATR, PcscReaderManager, type CardSlot } from '../../terminal-agent/src/readers/index.js';
import { startCardProcess, type CardProcess } from '../../cli/demo/cardProcess.js';
import { VPCD_PORT_CARD, VPCD_PORT_PSAM, VPCD_READER_NAMES } from '../../cli/stack/constants.js';
import { stackDown, stackStatus, stackUp } from '../../cli/stack/index.js';

const CARD_READER = VPCD_READER_NAMES[0]!;
const SAM_READER = VPCD_READER_NAMES[1]!;
const CARD_NUMBER = '1000000000000088';
const TERMINAL_NUMBER = '000000000043';

const SELECT_PSAM_CMD = fromHex('00A4040008 F04349545953414D 00');
const SELECT_PSAM_RSP = fromHex('6F15 8408F04349545953414D A509 5007434954595341 4D 9000');
/** What a citizen card answers to the PSAM probe: no such application. */
const SW_6A82 = fromHex('6A82');
// 3B 88 80 01 ‖ "CITYSLOW" ‖ TCK: not a CityCard ATR, so a cardholder card without a probe.
const SLOW_ATR = fromHex('3B888001 43495459534C4F57 09');
/** INS E4: the slow card holds its answer for SLOW_MS. */
const SLOW_CMD = fromHex('80E4000000');
const SLOW_MS = 3000;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const VPCD_URL = pathToFileURL(path.join(REPO_ROOT, 'card-os', 'src', 'vpcd', 'index.ts')).href;

/** A card that answers 9000 to everything, after blocking its whole process for SLOW_MS on INS E4. */
const SLOW_CARD_SCRIPT = `
const { VpcdAdapter } = await import(process.env.VPCD_URL);
const atr = Buffer.from(process.env.ATR_HEX, 'hex');
const card = {
  atr,
  powerOn: () => Buffer.from(atr),
  reset: () => Buffer.from(atr),
  powerOff() {},
  transmit(command) {
    if (command[1] === 0xe4) {
      console.log('slow command');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.SLOW_MS));
    }
    return Buffer.from([0x90, 0x00]);
  },
};
const link = new VpcdAdapter(card, { host: '127.0.0.2', port: Number(process.env.PORT), reconnectDelayMs: 100 });
link.on('connected', () => console.log('connected'));
link.start();
process.on('SIGTERM', () => void link.stop().then(() => process.exit(0)));
`;

interface SlowCard {
  readonly lines: string[];
  stop(): Promise<void>;
}

function startSlowCard(port: number): SlowCard {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SLOW_CARD_SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, VPCD_URL, ATR_HEX: toHex(SLOW_ATR), SLOW_MS: String(SLOW_MS), PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    lines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Re-check `probe` until it holds; pcscd reports slot changes at its ~400 ms presence poll. */
async function until(probe: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let dir: string;
let manager: PcscReaderManager;
/** Every event of the vpcd readers, one line each, in order. */
const events: string[] = [];
const inserted: CardSlot[] = [];
let card: CardProcess | undefined;
let psam: CardProcess | undefined;
let slowCard: SlowCard | undefined;

/** The index of the first event at or after `from` equal to `line`, waiting for it. */
async function eventAfter(from: number, line: string): Promise<number> {
  let found = -1;
  await until(() => (found = events.indexOf(line, from)) >= 0, `"${line}"`);
  return found;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-readers-'));
  manager = new PcscReaderManager({ reconnect: { initialDelayMs: 100, maxDelayMs: 1000 } });
  const vpcd = (name: string): boolean => VPCD_READER_NAMES.includes(name);
  manager.on('readerAdded', (name, role) => vpcd(name) && events.push(`readerAdded ${name} ${role}`));
  manager.on('readerRemoved', (name) => vpcd(name) && events.push(`readerRemoved ${name}`));
  manager.on('cardRemoved', (reader) => vpcd(reader) && events.push(`cardRemoved ${reader}`));
  manager.on('cardInserted', (slot) => {
    if (!vpcd(slot.reader)) return;
    events.push(`cardInserted ${slot.reader} ${slot.role} ${toHex(slot.atr)}`);
    inserted.push(slot);
  });
  await manager.start();
}, 60_000);

afterAll(async () => {
  await manager?.close();
  await Promise.allSettled([card?.stop(), psam?.stop(), slowCard?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('PcscReaderManager over pcscd and vpcd', () => {
  it('finds both vpcd readers at start, empty, as card readers (no name configured, no card to tell)', () => {
    expect(manager.serviceUp).toBe(true);
    // Both readers are opened at once; which is announced first is up to pcscd's threads.
    expect([...events].sort()).toEqual([`readerAdded ${CARD_READER} card`, `readerAdded ${SAM_READER} card`]);
    const vpcdReaders = manager
      .readers()
      .filter((r) => VPCD_READER_NAMES.includes(r.name))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(vpcdReaders).toEqual([
      { name: CARD_READER, role: 'card', card: undefined },
      { name: SAM_READER, role: 'card', card: undefined },
    ]);
  });

  it('a citizen card served on slot 0 is a cardholder card; stopping its process removes it', async () => {
    const from = events.length;
    const waited = manager.waitForCard();
    card = await startCardProcess({ kind: 'card', stateDir: path.join(dir, 'card'), port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER });
    let slot: CardSlot;
    try {
      await eventAfter(from, `cardInserted ${CARD_READER} card ${toHex(CITYCARD_ATR)}`);
      slot = await waited;
      expect(slot).toBe(inserted.at(-1));
      expect(slot.reader).toBe(CARD_READER);
      expect(await slot.transport.powerOn()).toEqual(CITYCARD_ATR);
      expect(await slot.transport.transmit(SELECT_PSAM_CMD)).toEqual(SW_6A82);
    } finally {
      // Slot 0 must be free for the next test whatever happened here.
      await card.stop();
      card = undefined;
    }
    await eventAfter(from, `cardRemoved ${CARD_READER}`);
    await expect(slot.transport.transmit(SELECT_PSAM_CMD)).rejects.toThrow(CardRemovedError);
    expect(events.slice(from)).toEqual([`cardInserted ${CARD_READER} card ${toHex(CITYCARD_ATR)}`, `cardRemoved ${CARD_READER}`]);
  });

  it('a PSAM served on slot 1 is a SAM: the CityCard ATR, then the PSAM application answers', async () => {
    const from = events.length;
    psam = await startCardProcess({ kind: 'psam', stateDir: path.join(dir, 'psam'), port: VPCD_PORT_PSAM, cardNumber: TERMINAL_NUMBER });
    await eventAfter(from, `cardInserted ${SAM_READER} sam ${toHex(CITYCARD_ATR)}`);
    const sam = manager.samTransport();
    expect(sam).toBe(inserted.at(-1)!.transport);
    expect(await sam!.powerOn()).toEqual(CITYCARD_ATR);
    expect(await sam!.transmit(SELECT_PSAM_CMD)).toEqual(SELECT_PSAM_RSP);
    expect(manager.readers().find((r) => r.name === SAM_READER)?.role).toBe('sam');
  });

  it('pcscd restarting (the virtual readers unplugged and replugged) fails the exchange in flight with ReaderGoneError, then everything comes back', async (ctx) => {
    const stack = await stackStatus();
    if (stack.pcscd.owner !== 'ours') {
      ctx.skip('pcscd was not started by `citycard stack up`, so this test will not restart it');
    }
    const beforeSlow = events.length;
    slowCard = startSlowCard(VPCD_PORT_CARD);
    await eventAfter(beforeSlow, `cardInserted ${CARD_READER} card ${toHex(SLOW_ATR)}`);
    const slowSlot = inserted.at(-1)!;
    const oldSam = manager.samTransport()!;
    await slowSlot.transport.powerOn();
    const inFlight = slowSlot.transport.transmit(SLOW_CMD).then(
      () => undefined,
      (err: unknown) => err,
    );
    await until(() => slowCard!.lines.includes('slow command'), 'the slow card to receive its command');

    const from = events.length;
    let failure: unknown;
    try {
      await stackDown({ only: ['pcscd'] });
      failure = await inFlight;
      await eventAfter(from, `readerRemoved ${SAM_READER}`);
      await eventAfter(from, `readerRemoved ${CARD_READER}`);
      expect(manager.serviceUp).toBe(false);
    } finally {
      // Never leave the shared stack without pcscd.
      await stackUp();
    }
    expect(failure).toBeInstanceOf(ReaderGoneError);
    expect(failure).not.toBeInstanceOf(CardRemovedError);
    expect((failure as Error).message).toContain(`reader "${CARD_READER}" vanished during the exchange`);
    // Each reader lost its card before it went.
    const down = events.slice(from, events.indexOf(`readerRemoved ${CARD_READER}`, from) + 1);
    expect(down.indexOf(`cardRemoved ${CARD_READER}`)).toBeLessThan(down.indexOf(`readerRemoved ${CARD_READER}`));
    expect(events.indexOf(`cardRemoved ${SAM_READER}`, from)).toBeLessThan(events.indexOf(`readerRemoved ${SAM_READER}`, from));
    await expect(oldSam.transmit(SELECT_PSAM_CMD)).rejects.toThrow(ReaderGoneError);

    // Back without restarting the manager: both readers, the PSAM (its process reconnects by
    // itself) as a SAM again, and the slow card once it has finished blocking.
    const up = events.indexOf(`readerRemoved ${CARD_READER}`, from);
    await until(() => events.slice(up).some((e) => e.startsWith(`readerAdded ${SAM_READER} `)), 'the SAM reader back');
    await until(() => events.slice(up).some((e) => e.startsWith(`readerAdded ${CARD_READER} `)), 'the card reader back');
    await eventAfter(up, `cardInserted ${SAM_READER} sam ${toHex(CITYCARD_ATR)}`);
    await eventAfter(up, `cardInserted ${CARD_READER} card ${toHex(SLOW_ATR)}`);
    expect(manager.serviceUp).toBe(true);
    const sam = manager.samTransport()!;
    expect(sam).not.toBe(oldSam);
    expect(await sam.powerOn()).toEqual(CITYCARD_ATR);
    expect(await sam.transmit(SELECT_PSAM_CMD)).toEqual(SELECT_PSAM_RSP);
  });
});
