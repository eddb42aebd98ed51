/**
 * Binary-coded decimal: digit strings (card numbers), dates `YYYYMMDD` (4 bytes) and times
 * `hhmmss` (3 bytes) as the card interface carries them. Decoders return strings and validate
 * as strictly as the encoders, so bytes from the wire that decode are always well formed.
 */
import { ProtocolError } from './errors.js';

/** Bytes or text that are not valid BCD (or not a valid BCD date/time). */
export class BcdError extends ProtocolError {
  override readonly name: string = 'BcdError';
  /** Status word a card answers with when a command carries such bytes: 6A80 incorrect data. */
  readonly sw: number = 0x6a80;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Encode decimal digits, two per byte, first digit in the high nibble. Without `length`, the
 * digit count must be even; with `length` (bytes, 1 to 127), the digits are left-padded with `0`.
 * Throws `BcdError` on a non-digit, an odd count without `length`, or more digits than fit;
 * `RangeError` on a bad `length`.
 */
export function encodeBcd(digits: string, length?: number): Buffer {
  if (length !== undefined && (!Number.isInteger(length) || length < 1 || length > 127)) {
    throw new RangeError(`BCD length must be 1 to 127 bytes, got ${length}`);
  }
  if (!/^[0-9]*$/.test(digits)) throw new BcdError(`not a decimal digit string: "${digits}"`);
  let text = digits;
  if (length !== undefined) {
    if (digits.length > 2 * length) throw new BcdError(`${digits.length} digits do not fit in ${length} BCD bytes`);
    text = digits.padStart(2 * length, '0');
  } else if (digits.length % 2 !== 0) {
    throw new BcdError(`odd number of BCD digits (${digits.length}); give a byte length to left-pad`);
  }
  // Each digit's hex value equals the digit, so hex decoding is BCD encoding.
  return Buffer.from(text, 'hex');
}

/** Decode BCD bytes to their digits (two per byte). Throws `BcdError` on a nibble A to F. */
export function decodeBcd(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  if (!/^[0-9]*$/.test(text)) throw new BcdError(`invalid BCD nibble in ${text.toUpperCase()}`);
  return text;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** True for `YYYYMMDD` naming a real Gregorian date, years 0001 to 9999. */
export function isValidDate(text: string): boolean {
  if (!/^[0-9]{8}$/.test(text)) return false;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  const day = Number(text.slice(6, 8));
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** True for `hhmmss` with hh 00 to 23, mm and ss 00 to 59. */
export function isValidTime(text: string): boolean {
  if (!/^[0-9]{6}$/.test(text)) return false;
  return Number(text.slice(0, 2)) <= 23 && Number(text.slice(2, 4)) <= 59 && Number(text.slice(4, 6)) <= 59;
}

/** `YYYYMMDD` (a real date, see {@link isValidDate}) to 4 BCD bytes. Throws `BcdError` otherwise. */
export function encodeBcdDate(text: string): Buffer {
  if (!isValidDate(text)) throw new BcdError(`not a valid YYYYMMDD date: "${text}"`);
  return encodeBcd(text);
}

/** 4 BCD bytes to `YYYYMMDD`. Throws `BcdError` on another length, a bad nibble or an impossible date. */
export function decodeBcdDate(bytes: Uint8Array): string {
  if (bytes.length !== 4) throw new BcdError(`BCD date must be 4 bytes, got ${bytes.length}`);
  const text = decodeBcd(bytes);
  if (!isValidDate(text)) throw new BcdError(`not a valid date: ${text}`);
  return text;
}

/** `hhmmss` (see {@link isValidTime}) to 3 BCD bytes. Throws `BcdError` otherwise. */
export function encodeBcdTime(text: string): Buffer {
  if (!isValidTime(text)) throw new BcdError(`not a valid hhmmss time: "${text}"`);
  return encodeBcd(text);
}

/** 3 BCD bytes to `hhmmss`. Throws `BcdError` on another length, a bad nibble or an impossible time. */
export function decodeBcdTime(bytes: Uint8Array): string {
  if (bytes.length !== 3) throw new BcdError(`BCD time must be 3 bytes, got ${bytes.length}`);
  const text = decodeBcd(bytes);
  if (!isValidTime(text)) throw new BcdError(`not a valid time: ${text}`);
  return text;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string | undefined): Intl.DateTimeFormat {
  const make = (): Intl.DateTimeFormat =>
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  // The local zone is not cached: it can change at run time (process.env.TZ).
  if (timeZone === undefined) return make();
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = make();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Wall-clock date `YYYYMMDD` and time `hhmmss` of an instant in an IANA time zone (default: the
 * process's local zone). Throws `RangeError` on an invalid Date, an unknown zone, or a year
 * outside 0001 to 9999.
 */
export function formatDateTime(instant: Date, timeZone?: string): { date: string; time: string } {
  if (Number.isNaN(instant.getTime())) throw new RangeError('invalid Date');
  // Intl shows years before 1 AD as positive era years; keep them out rather than mislabel them.
  if (instant.getUTCFullYear() < 1) throw new RangeError('year before 0001 cannot be encoded');
  const part: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(instant)) part[p.type] = p.value;
  const year = (part['year'] ?? '').padStart(4, '0');
  const date = `${year}${part['month'] ?? ''}${part['day'] ?? ''}`;
  const time = `${part['hour'] ?? ''}${part['minute'] ?? ''}${part['second'] ?? ''}`;
  if (!isValidDate(date) || !isValidTime(time)) {
    throw new RangeError(`cannot encode ${instant.toISOString()} as YYYYMMDD hhmmss`);
  }
  return { date, time };
}

/**
 * BCD date (4 bytes) and time (3 bytes) of an instant in an IANA time zone (default: local).
 * Throws `RangeError` as {@link formatDateTime} does.
 */
export function bcdDateTime(instant: Date, timeZone?: string): { date: Buffer; time: Buffer } {
  const { date, time } = formatDateTime(instant, timeZone);
  return { date: encodeBcd(date), time: encodeBcd(time) };
}
