/**
 * Presents a `SmartCard` to pcscd through the vsmartcard vpcd driver (card interface spec §1): the
 * card is a TCP client of vpcd; a connected socket is a card in the slot, a closed one a removal
 * (after which the card is powered off, as a card pulled from a reader is).
 *
 * Every reply goes out as one socket write with Nagle off: vpcd answers its own frames in two
 * writes, and splitting ours as well would stall each APDU on delayed ACKs (the 44 ms trap).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { SmartCard } from '../smartCard.js';
import { encodeVpcdFrame, VpcdFrameDecoder, VpcdFrameError } from './vpcdFrame.js';
import { parseVpcdMessage } from './vpcdMessage.js';
import { describeCommandForLog, traceEnabled, type VpcdLogger } from './vpcdLog.js';
import { toHex } from '@citycard/protocols';

/** Slot 0 of vpcd: the citizen card. Slot 1 (the PSAM) is 35964. */
export const VPCD_DEFAULT_PORT = 35963;
/** The loopback address with the quickack route (see docs on the 44 ms trap); vpcd listens on all. */
export const VPCD_DEFAULT_HOST = '127.0.0.2';

/** "No precise diagnosis": what pcscd gets if the card throws despite its contract. */
const SW_NO_DIAGNOSIS = Buffer.from([0x6f, 0x00]);

export interface VpcdAdapterOptions {
  /** Default `127.0.0.2`. */
  host?: string;
  /** 1..65535, default 35963 (slot 0). */
  port?: number;
  /** Delay before the first reconnect attempt, ms (default 200); doubles per failure. */
  reconnectDelayMs?: number;
  /** Ceiling of the reconnect delay, ms (default 2000). */
  maxReconnectDelayMs?: number;
  /** APDUs are logged at trace only, PIN-bearing data masked. */
  logger?: VpcdLogger;
}

export interface VpcdAdapterEvents {
  /** TCP connection to vpcd established: pcscd will see the card at its next presence poll. */
  connected: [];
  /** Connection lost or closed; `cause` is the socket or framing error, if any. */
  disconnected: [cause: Error | undefined];
}

/**
 * One card in one vpcd slot. `start()` connects and keeps reconnecting (pcscd absent or restarted)
 * until `stop()`. A stopped adapter can be started again: that is re-inserting the card.
 */
export class VpcdAdapter extends EventEmitter<VpcdAdapterEvents> {
  readonly card: SmartCard;
  readonly host: string;
  readonly port: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #logger: VpcdLogger | undefined;

  #running = false;
  #socket: net.Socket | undefined;
  #isConnected = false;
  #delayMs: number;
  #retryTimer: NodeJS.Timeout | undefined;
  #closeWaiters: Array<() => void> = [];
  #connectWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];

  /** Throws `RangeError` for a port outside 1..65535 or a negative delay. */
  constructor(card: SmartCard, options: VpcdAdapterOptions = {}) {
    super();
    this.card = card;
    this.host = options.host ?? VPCD_DEFAULT_HOST;
    this.port = options.port ?? VPCD_DEFAULT_PORT;
    this.#initialDelayMs = options.reconnectDelayMs ?? 200;
    this.#maxDelayMs = Math.max(options.maxReconnectDelayMs ?? 2000, this.#initialDelayMs);
    this.#logger = options.logger;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 0xffff) {
      throw new RangeError(`port must be 1..65535, got ${this.port}`);
    }
    if (!(this.#initialDelayMs >= 0)) throw new RangeError(`reconnectDelayMs must be >= 0, got ${this.#initialDelayMs}`);
    this.#delayMs = this.#initialDelayMs;
  }

  /** Whether the TCP connection to vpcd is up (the card is "in the slot"). */
  get connected(): boolean {
    return this.#isConnected;
  }

  /** Whether the adapter is started (connected or trying to be). */
  get running(): boolean {
    return this.#running;
  }

  /** Start connecting; no-op if already running. Failures are retried, never thrown. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#delayMs = this.#initialDelayMs;
    // If a stop() is still closing the previous socket, its close handler reconnects instead.
    if (this.#socket === undefined) this.#connect();
  }

  /**
   * Resolves once connected (at once if already). Rejects with an `Error` if `stop()` is called
   * first or the adapter is not running.
   */
  waitForConnection(): Promise<void> {
    if (this.#isConnected) return Promise.resolve();
    if (!this.#running) return Promise.reject(new Error('vpcd adapter is not running'));
    return new Promise((resolve, reject) => this.#connectWaiters.push({ resolve, reject }));
  }

  /** Close the connection (a card removal for pcscd) and stop reconnecting. Resolves once closed. */
  stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const waiters = this.#connectWaiters;
    this.#connectWaiters = [];
    for (const w of waiters) w.reject(new Error('vpcd adapter stopped'));
    const socket = this.#socket;
    if (socket === undefined) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    socket.destroy();
    return closed;
  }

  #connect(): void {
    this.#retryTimer = undefined;
    const socket = net.connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    this.#socket = socket;
    const decoder = new VpcdFrameDecoder();
    let failure: Error | undefined;

    socket.on('connect', () => {
      this.#isConnected = true;
      this.#delayMs = this.#initialDelayMs;
      this.#logger?.info({ host: this.host, port: this.port }, 'vpcd connected');
      const waiters = this.#connectWaiters;
      this.#connectWaiters = [];
      for (const w of waiters) w.resolve();
      this.emit('connected');
    });
    socket.on('data', (chunk: Buffer) => {
      let payloads: Buffer[];
      try {
        payloads = decoder.push(chunk);
      } catch (err) {
        // Out of step with vpcd: only a fresh connection can resynchronise the stream.
        failure = err instanceof VpcdFrameError ? err : new VpcdFrameError('undecodable vpcd stream', { cause: err });
        this.#logger?.warn({ err: failure }, 'vpcd framing error; reconnecting');
        socket.destroy();
        return;
      }
      for (const payload of payloads) {
        if (socket.destroyed) return;
        let reply: Buffer | undefined;
        try {
          reply = this.#handle(payload);
        } catch (err) {
          // A card that throws on power control must not take the link down with it.
          this.#logger?.error({ err }, 'card threw on a vpcd control code');
          continue;
        }
        if (reply !== undefined) socket.write(encodeVpcdFrame(reply));
      }
    });
    socket.on('error', (err) => {
      failure ??= err;
    });
    socket.on('close', () => {
      const wasConnected = this.#isConnected;
      this.#isConnected = false;
      this.#socket = undefined;
      if (wasConnected) {
        this.#powerDown();
        this.#logger?.info({ host: this.host, port: this.port, err: failure }, 'vpcd disconnected');
        this.emit('disconnected', failure);
      } else {
        this.#logger?.debug({ host: this.host, port: this.port, err: failure }, 'vpcd not reachable');
      }
      const waiters = this.#closeWaiters;
      this.#closeWaiters = [];
      for (const resolve of waiters) resolve();
      if (this.#running) this.#scheduleReconnect();
    });
  }

  /** A card pulled from the slot loses power: no PIN-verified state may outlive the connection. */
  #powerDown(): void {
    try {
      this.card.powerOff();
    } catch (err) {
      this.#logger?.error({ err }, 'card threw on power off');
    }
  }

  #scheduleReconnect(): void {
    const delay = this.#delayMs;
    this.#delayMs = Math.min(this.#delayMs * 2, this.#maxDelayMs);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  /** Carry out one vpcd request; returns the reply payload, or undefined when none is due. */
  #handle(payload: Buffer): Buffer | undefined {
    const message = parseVpcdMessage(payload);
    const trace = traceEnabled(this.#logger) ? this.#logger : undefined;
    switch (message.kind) {
      case 'powerOff':
        trace?.trace({}, 'vpcd power off');
        this.card.powerOff();
        return undefined;
      case 'powerOn':
        trace?.trace({}, 'vpcd power on');
        this.card.powerOn();
        return undefined;
      case 'reset':
        trace?.trace({}, 'vpcd reset');
        this.card.reset();
        return undefined;
      case 'getAtr':
        return this.card.atr;
      case 'unknownControl':
        this.#logger?.warn({ code: message.code }, 'vpcd sent an unknown control code; ignored');
        return undefined;
      case 'apdu': {
        trace?.trace({ apdu: describeCommandForLog(message.apdu) }, 'C-APDU');
        let response: Buffer;
        try {
          response = this.card.transmit(message.apdu);
        } catch (err) {
          this.#logger?.error({ err }, 'card threw instead of answering; replying 6F00');
          response = SW_NO_DIAGNOSIS;
        }
        trace?.trace({ apdu: toHex(response) }, 'R-APDU');
        return response;
      }
    }
  }
}
