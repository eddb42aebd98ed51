/**
 * An APDU channel over a `CardTransport`: sends a `CardCommand`, checks the answer's status word
 * against the command family's table and returns the parsed result. Every exchange, failed or
 * not, is kept in the trail (masked for PIN-bearing commands) and logged at trace level.
 *
 * Errors: the transport's own `TransportError`s pass through (anything else it throws is wrapped
 * in one); a response without a status word, a status word the family does not expect, one it
 * lists as an error, or data its parser refuses are `CardProtocolError`s carrying the status word.
 */
import {
  type CardCommand,
  type ResponseApdu,
  ProtocolError,
  findExpectedStatus,
  parseResponseApdu,
  swHex,
  toHex,
} from '@citycard/protocols';
import { CardProtocolError, TransportError } from '../errors.js';
import type { CardTransport } from '../transport/cardTransport.js';
import { ApduTrail, type ApduTrailEntry } from './apduTrail.js';
import type { TraceLogger } from './traceLogger.js';

export interface ApduChannelOptions {
  /** pino-compatible logger; the channel only ever calls `trace`. */
  readonly logger?: TraceLogger | undefined;
  /** Time stamps of trail entries (default: the system clock). */
  readonly clock?: (() => Date) | undefined;
}

export class ApduChannel {
  readonly transport: CardTransport;
  readonly #trail = new ApduTrail();
  readonly #logger: TraceLogger | undefined;
  readonly #clock: () => Date;
  // Exchanges must not interleave on the wire: each send waits for the previous one.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(transport: CardTransport, options: ApduChannelOptions = {}) {
    this.transport = transport;
    this.#logger = options.logger;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** Send `command` and return its parsed result. Throws as the module comment says. */
  send<T>(command: CardCommand<T>): Promise<T> {
    const run = this.#queue.then(() => this.#exchange(command));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Every exchange so far, oldest first. */
  get trail(): readonly ApduTrailEntry[] {
    return this.#trail.entries();
  }

  /** A mark for {@link trailSince}: the number of exchanges so far. */
  get trailMark(): number {
    return this.#trail.length;
  }

  /** Exchanges from `mark` on (e.g. those of one transaction). Throws `RangeError` for a bad mark. */
  trailSince(mark: number): readonly ApduTrailEntry[] {
    return this.#trail.since(mark);
  }

  async #exchange<T>(command: CardCommand<T>): Promise<T> {
    const at = this.#clock();
    let raw: Buffer;
    try {
      raw = await this.transport.transmit(command.apdu);
    } catch (err) {
      this.#log(this.#trail.record(command.name, at, command.apdu, undefined));
      if (err instanceof TransportError) throw err;
      throw new TransportError(`${command.name}: transmit failed on ${this.transport.name}`, { cause: err });
    }
    this.#log(this.#trail.record(command.name, at, command.apdu, raw));

    let response: ResponseApdu;
    try {
      response = parseResponseApdu(raw);
    } catch (err) {
      throw new CardProtocolError(`${command.name}: malformed response APDU`, undefined, { cause: err });
    }
    const expected = findExpectedStatus(command.statusTable, response.sw);
    if (expected === undefined) throw new CardProtocolError(`${command.name}: unexpected status word`, response.sw);
    if (expected.outcome === 'error') throw new CardProtocolError(`${command.name}: ${expected.meaning}`, response.sw);
    try {
      return command.parse(response);
    } catch (err) {
      if (err instanceof ProtocolError) {
        throw new CardProtocolError(`${command.name}: ${err.message}`, response.sw, { cause: err });
      }
      throw err;
    }
  }

  #log(entry: ApduTrailEntry): void {
    const logger = this.#logger;
    if (logger === undefined || logger.isLevelEnabled?.('trace') === false) return;
    logger.trace(
      {
        apdu: entry.name,
        seq: entry.seq,
        command: toHex(entry.command),
        response: entry.response === undefined ? undefined : toHex(entry.response),
        sw: entry.response !== undefined && entry.response.length >= 2 ? swHex(entry.response.readUInt16BE(entry.response.length - 2)) : undefined,
        masked: entry.masked,
      },
      'apdu exchange',
    );
  }
}
