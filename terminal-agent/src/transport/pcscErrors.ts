/**
 * PC/SC return codes (winscard `SCARD_*`) and their mapping onto the terminal's transport errors.
 * The binding reports failures as `Error`s whose message ends in the code, `...(0x80100069)`.
 */
import { CardAbsentError, CardRemovedError, ReaderGoneError, TransportError } from '../errors.js';

export const SCARD_E_CANCELLED = 0x80100002;
export const SCARD_E_INVALID_HANDLE = 0x80100003;
export const SCARD_E_UNKNOWN_READER = 0x80100009;
export const SCARD_E_TIMEOUT = 0x8010000a;
export const SCARD_E_SHARING_VIOLATION = 0x8010000b;
export const SCARD_E_NO_SMARTCARD = 0x8010000c;
export const SCARD_E_PROTO_MISMATCH = 0x8010000f;
export const SCARD_F_COMM_ERROR = 0x80100013;
export const SCARD_E_NOT_TRANSACTED = 0x80100016;
export const SCARD_E_READER_UNAVAILABLE = 0x80100017;
export const SCARD_E_NO_SERVICE = 0x8010001d;
export const SCARD_E_SERVICE_STOPPED = 0x8010001e;
export const SCARD_E_NO_READERS_AVAILABLE = 0x8010002e;
export const SCARD_E_COMM_DATA_LOST = 0x8010002f;
export const SCARD_W_UNRESPONSIVE_CARD = 0x80100066;
export const SCARD_W_UNPOWERED_CARD = 0x80100067;
export const SCARD_W_RESET_CARD = 0x80100068;
export const SCARD_W_REMOVED_CARD = 0x80100069;

/** The reader or the whole PC/SC service is gone. */
const READER_GONE_CODES: ReadonlySet<number> = new Set([
  SCARD_E_UNKNOWN_READER,
  SCARD_E_READER_UNAVAILABLE,
  SCARD_E_NO_SERVICE,
  SCARD_E_SERVICE_STOPPED,
  SCARD_E_NO_READERS_AVAILABLE,
]);

/** The card left, or the session on it was lost (another application reset it). */
const CARD_LOST_CODES: ReadonlySet<number> = new Set([SCARD_W_REMOVED_CARD, SCARD_E_NO_SMARTCARD, SCARD_W_RESET_CARD]);

/**
 * The exchange with the card broke off. Right after a removal pcscd answers this (vpcd's socket is
 * gone) until its next presence poll notices, so the caller checks the reader state to tell.
 */
const COMM_FAILURE_CODES: ReadonlySet<number> = new Set([
  SCARD_E_NOT_TRANSACTED,
  SCARD_F_COMM_ERROR,
  SCARD_E_COMM_DATA_LOST,
  SCARD_W_UNRESPONSIVE_CARD,
]);

/** Whether a binding error means the exchange with the card broke off (see `COMM_FAILURE_CODES`). */
export function isCommFailure(err: unknown): boolean {
  const code = pcscErrorCode(err);
  return code !== undefined && COMM_FAILURE_CODES.has(code);
}

/** The PC/SC code at the end of a binding error message, or undefined if there is none. */
export function pcscErrorCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const match = /\(0x([0-9a-fA-F]{8})\)\s*$/.exec(err.message);
  return match === null ? undefined : Number.parseInt(match[1]!, 16);
}

/** What the adapter was doing when PC/SC failed: a lost card means absent before a session, removed during one. */
export type PcscStep = 'connect' | 'transmit';

/**
 * The transport error for a failed PC/SC call, with the original in `cause`: `ReaderGoneError` when
 * the reader or pcscd went away, `CardAbsentError` (connect) or `CardRemovedError` (transmit) when
 * the card did, else `TransportError`.
 */
export function mapPcscError(err: unknown, step: PcscStep, readerName: string): TransportError {
  const code = pcscErrorCode(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (code !== undefined && READER_GONE_CODES.has(code)) {
    return new ReaderGoneError(`reader "${readerName}" is gone: ${detail}`, { cause: err });
  }
  if (code !== undefined && CARD_LOST_CODES.has(code)) {
    return step === 'connect'
      ? new CardAbsentError(`no card in "${readerName}": ${detail}`, { cause: err })
      : new CardRemovedError(`card left "${readerName}" during the exchange: ${detail}`, { cause: err });
  }
  return new TransportError(`PC/SC ${step} on "${readerName}" failed: ${detail}`, { cause: err });
}
