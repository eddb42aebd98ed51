import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { concat, fromHex } from '@citycard/protocols';
import type { SmartCard } from '../../card-os/src/smartCard.js';
import { VpcdAdapter, VpcdFrameError, type VpcdLogger } from '../../card-os/src/vpcd/index.js';

// ATR 3B 88 80 01 ‖ "CITYTEST" ‖ TCK (XOR of T0..last historical byte).
const TOY_ATR = fromHex('3B888001 4349545954455354 18');
const TOY_ATR_FRAME = fromHex('000D 3B888001 4349545954455354 18');
const POWER_ON_FRAME = fromHex('0001 01');
const RESET_FRAME = fromHex('0001 02');
const POWER_OFF_FRAME = fromHex('0001 00');
const GET_ATR_FRAME = fromHex('0001 04');
const UNKNOWN_CONTROL_FRAME = fromHex('0001 03');
const SELECT_MF_FRAME = fromHex('0007 00A4000002 3F00');
const SW_9000_FRAME = fromHex('0002 9000');
const ECHO_FRAME = fromHex('0009 80E0000003 AABBCC 00');
const ECHO_RSP_FRAME = fromHex('0005 AABBCC 9000');
const THROWING_CMD_FRAME = fromHex('0005 80EE000000');
const SW_6F00_FRAME = fromHex('0002 6F00');
const VERIFY_PIN_FRAME = fromHex('000D 0020000108 313233343536FFFF');
const PIN_HEX = '313233343536';
const OVERSIZE_HEADER = fromHex('FFFF');

/** A card with a tiny fixed behaviour; records what vpcd asked of it. */
class ToyCard implements SmartCard {
  readonly atr = TOY_ATR;
  readonly calls: string[] = [];
  powerOn(): Buffer {
    this.calls.push('powerOn');
    return this.atr;
  }
  powerOff(): void {
    this.calls.push('powerOff');
  }
  reset(): Buffer {
    this.calls.push('reset');
    return this.atr;
  }
  transmit(command: Uint8Array): Buffer {
    const cmd = Buffer.from(command);
    if (cmd[1] === 0xa4) return fromHex('9000');
    if (cmd[1] === 0xe0) return concat(cmd.subarray(5, 5 + cmd[4]!), fromHex('9000'));
    if (cmd[1] === 0xee) throw new Error('toy card bug');
    return fromHex('6D00');
  }
}

/** One accepted connection of the fake vpcd, read with exact byte counts. */
class FakeConnection {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  #received = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #isClosed = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake?.();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.#isClosed = true;
        this.#wake?.();
        resolve();
      }),
    );
    socket.on('error', () => {});
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Exactly the next `n` bytes the card sent. */
  async read(n: number): Promise<Buffer> {
    while (this.#received.length < n) {
      if (this.#isClosed) throw new Error(`connection closed after ${this.#received.length} of ${n} bytes`);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    const out = this.#received.subarray(0, n);
    this.#received = this.#received.subarray(n);
    return Buffer.from(out);
  }
}

/** The vpcd side of the link: a TCP server that the card connects to. */
class FakeVpcd {
  readonly server = net.createServer();
  readonly connections: FakeConnection[] = [];
  #waiting: Array<(c: FakeConnection) => void> = [];

  constructor() {
    this.server.on('connection', (socket) => {
      const conn = new FakeConnection(socket);
      this.connections.push(conn);
      const waiter = this.#waiting.shift();
      waiter?.(conn);
    });
  }

  async listen(port = 0): Promise<number> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The connection with index `i` (0-based), once it exists. */
  connection(i: number): Promise<FakeConnection> {
    const existing = this.connections[i];
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const check = (c: FakeConnection): void => {
        if (this.connections[i] === c) resolve(c);
        else this.#waiting.push(check);
      };
      this.#waiting.push(check);
    });
  }

  /** Like pcscd going away: every connection dropped, nothing listening. */
  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: { logger?: VpcdLogger } = {}): Promise<{ vpcd: FakeVpcd; card: ToyCard; link: VpcdAdapter; port: number }> {
  const vpcd = new FakeVpcd();
  const port = await vpcd.listen();
  const card = new ToyCard();
  const link = new VpcdAdapter(card, { host: '127.0.0.1', port, reconnectDelayMs: 10, maxReconnectDelayMs: 50, ...options });
  cleanups.push(() => vpcd.close());
  cleanups.push(() => link.stop());
  link.start();
  await link.waitForConnection();
  return { vpcd, card, link, port };
}

describe('VpcdAdapter', () => {
  it('obeys power off, power on and reset without replying, and answers get ATR with the ATR', async () => {
    const { vpcd, card } = await setup();
    const conn = await vpcd.connection(0);
    conn.send(concat(POWER_ON_FRAME, RESET_FRAME, POWER_OFF_FRAME, UNKNOWN_CONTROL_FRAME, GET_ATR_FRAME));
    expect(await conn.read(TOY_ATR_FRAME.length)).toEqual(TOY_ATR_FRAME);
    expect(card.calls).toEqual(['powerOn', 'reset', 'powerOff']);
    // Had any control code been answered, its reply would come before this SELECT's.
    conn.send(SELECT_MF_FRAME);
    expect(await conn.read(SW_9000_FRAME.length)).toEqual(SW_9000_FRAME);
  });

  it('reassembles a command sent one byte per write and answers frames merged in one chunk in order', async () => {
    const { vpcd } = await setup();
    const conn = await vpcd.connection(0);
    for (const byte of ECHO_FRAME) conn.send(Buffer.from([byte]));
    expect(await conn.read(ECHO_RSP_FRAME.length)).toEqual(ECHO_RSP_FRAME);
    conn.send(concat(SELECT_MF_FRAME, GET_ATR_FRAME, ECHO_FRAME.subarray(0, 3)));
    conn.send(ECHO_FRAME.subarray(3));
    const expected = concat(SW_9000_FRAME, TOY_ATR_FRAME, ECHO_RSP_FRAME);
    expect(await conn.read(expected.length)).toEqual(expected);
  });

  it('writes each reply, length and payload together, in a single socket write', async () => {
    const { vpcd } = await setup();
    const conn = await vpcd.connection(0);
    const write = vi.spyOn(net.Socket.prototype, 'write');
    conn.send(concat(GET_ATR_FRAME, ECHO_FRAME));
    await conn.read(TOY_ATR_FRAME.length + ECHO_RSP_FRAME.length);
    const cardWrites = write.mock.calls.filter((_, i) => write.mock.contexts[i] !== conn.socket).map(([chunk]) => chunk);
    expect(cardWrites).toEqual([TOY_ATR_FRAME, ECHO_RSP_FRAME]);
  });

  it('turns Nagle off on its socket', async () => {
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    const { port } = await setup();
    const cardSockets = noDelay.mock.contexts.filter(
      (socket, i) => (socket as net.Socket).remotePort === port && noDelay.mock.calls[i]?.[0] === true,
    );
    expect(cardSockets).toHaveLength(1);
  });

  it('answers 6F00 when the card throws, and stays connected', async () => {
    const { vpcd, link } = await setup();
    const conn = await vpcd.connection(0);
    conn.send(THROWING_CMD_FRAME);
    expect(await conn.read(SW_6F00_FRAME.length)).toEqual(SW_6F00_FRAME);
    conn.send(SELECT_MF_FRAME);
    expect(await conn.read(SW_9000_FRAME.length)).toEqual(SW_9000_FRAME);
    expect(link.connected).toBe(true);
  });

  it('logs APDUs at trace with PIN data masked', async () => {
    const entries: Array<{ level: string; obj: object; msg: string | undefined }> = [];
    const record = (level: string) => (obj: object, msg?: string) => void entries.push({ level, obj, msg });
    const logger: VpcdLogger = {
      trace: record('trace'),
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
    };
    const { vpcd } = await setup({ logger });
    const conn = await vpcd.connection(0);
    conn.send(concat(VERIFY_PIN_FRAME, SELECT_MF_FRAME));
    await conn.read(fromHex('0002 6D00').length + SW_9000_FRAME.length);
    const text = JSON.stringify(entries);
    expect(text).not.toContain(PIN_HEX);
    const apdus = entries.filter((e) => e.msg === 'C-APDU').map((e) => e.obj);
    expect(apdus).toEqual([{ apdu: '0020000108 <8 bytes masked>' }, { apdu: '00A40000023F00' }]);
    for (const e of entries.filter((e) => e.msg === 'C-APDU' || e.msg === 'R-APDU')) expect(e.level).toBe('trace');
  });

  it('drops the connection on an oversize length and connects again', async () => {
    const { vpcd, link } = await setup();
    const disconnected = once(link, 'disconnected');
    const first = await vpcd.connection(0);
    first.send(OVERSIZE_HEADER);
    const [cause] = await disconnected;
    expect(cause).toBeInstanceOf(VpcdFrameError);
    await first.closed;
    const second = await vpcd.connection(1);
    second.send(GET_ATR_FRAME);
    expect(await second.read(TOY_ATR_FRAME.length)).toEqual(TOY_ATR_FRAME);
  });

  it('reconnects after the vpcd side restarts', async () => {
    const { vpcd, link, port, card } = await setup();
    const disconnected = once(link, 'disconnected');
    await vpcd.close();
    await disconnected;
    expect(link.connected).toBe(false);
    expect(card.calls).toEqual(['powerOff']);

    const restarted = new FakeVpcd();
    cleanups.push(() => restarted.close());
    const connected = once(link, 'connected');
    await restarted.listen(port);
    await connected;
    const conn = await restarted.connection(0);
    conn.send(GET_ATR_FRAME);
    expect(await conn.read(TOY_ATR_FRAME.length)).toEqual(TOY_ATR_FRAME);
  });

  it('keeps retrying while nothing listens, then connects', async () => {
    const probe = new FakeVpcd();
    const port = await probe.listen();
    await probe.close();
    const link = new VpcdAdapter(new ToyCard(), { host: '127.0.0.1', port, reconnectDelayMs: 5, maxReconnectDelayMs: 20 });
    cleanups.push(() => link.stop());
    link.start();
    const connected = link.waitForConnection();

    const vpcd = new FakeVpcd();
    cleanups.push(() => vpcd.close());
    await vpcd.listen(port);
    await connected;
    const conn = await vpcd.connection(0);
    conn.send(GET_ATR_FRAME);
    expect(await conn.read(TOY_ATR_FRAME.length)).toEqual(TOY_ATR_FRAME);
  });

  it('stop() closes the connection, powers the card off, stops reconnecting, and start() inserts the card again', async () => {
    const { vpcd, link, card } = await setup();
    const first = await vpcd.connection(0);
    await link.stop();
    await first.closed;
    expect(card.calls).toEqual(['powerOff']);
    expect(link.connected).toBe(false);
    expect(link.running).toBe(false);
    await expect(link.waitForConnection()).rejects.toThrow('not running');
    await link.stop(); // idempotent

    link.start();
    await link.waitForConnection();
    const second = await vpcd.connection(1);
    second.send(GET_ATR_FRAME);
    expect(await second.read(TOY_ATR_FRAME.length)).toEqual(TOY_ATR_FRAME);
    expect(vpcd.connections).toHaveLength(2);
  });

  it('stop() while waiting to reconnect resolves and rejects pending waiters', async () => {
    const probe = new FakeVpcd();
    const port = await probe.listen();
    await probe.close();
    const link = new VpcdAdapter(new ToyCard(), { host: '127.0.0.1', port, reconnectDelayMs: 5 });
    link.start();
    const waiting = expect(link.waitForConnection()).rejects.toThrow('stopped');
    await link.stop();
    await waiting;
    expect(link.running).toBe(false);
  });

  it('refuses a bad port', () => {
    expect(() => new VpcdAdapter(new ToyCard(), { port: 0 })).toThrow(RangeError);
    expect(() => new VpcdAdapter(new ToyCard(), { port: 70000 })).toThrow(RangeError);
  });
});
