/**
 * ISO/IEC 7816-4 command and response APDUs, short length only.
 *
 * ```
 * case 1: CLA INS P1 P2
 * case 2: CLA INS P1 P2 Le            Le = 01..FF, 00 means 256
 * case 3: CLA INS P1 P2 Lc data       Lc = 01..FF
 * case 4: CLA INS P1 P2 Lc data Le
 * response: data SW1 SW2              data 0..256 bytes
 * ```
 * Extended length (P3 = 00 followed by a 2-byte length) is refused with `ExtendedLengthError`.
 */
import { ApduFormatError, ExtendedLengthError } from './errors.js';

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data (empty for cases 1 and 2). */
  readonly data: Buffer;
  /** Expected response length 1..256, or undefined when the command carries no Le (cases 1 and 3). */
  readonly le: number | undefined;
}

export interface CommandApduInit {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array | undefined;
  le?: number | undefined;
}

export type ApduCase = 1 | 2 | 3 | 4;

export interface ResponseApdu {
  readonly data: Buffer;
  readonly sw: number;
}

/** Largest response data a short APDU can carry. */
export const MAX_SHORT_LE = 256;
/** Largest command data a short APDU can carry. */
export const MAX_SHORT_LC = 255;

/**
 * Parse a command APDU. Throws `ApduFormatError` (sw 6700) when the length does not match one of
 * the four cases, `ExtendedLengthError` for an extended-length command.
 */
export function parseCommandApdu(bytes: Uint8Array): CommandApdu {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = buf.length;
  if (n < 4) throw new ApduFormatError(`command APDU of ${n} bytes is shorter than its 4-byte header`);
  const cla = buf[0]!;
  const ins = buf[1]!;
  const p1 = buf[2]!;
  const p2 = buf[3]!;
  if (n === 4) return { cla, ins, p1, p2, data: EMPTY, le: undefined };
  const p3 = buf[4]!;
  if (n === 5) return { cla, ins, p1, p2, data: EMPTY, le: p3 === 0 ? 256 : p3 };
  if (p3 === 0) throw new ExtendedLengthError();
  if (n === 5 + p3) return { cla, ins, p1, p2, data: buf.subarray(5), le: undefined };
  if (n === 6 + p3) {
    const le = buf[n - 1]!;
    return { cla, ins, p1, p2, data: buf.subarray(5, n - 1), le: le === 0 ? 256 : le };
  }
  throw new ApduFormatError(`Lc ${p3} does not match the ${n - 5} bytes after the header`);
}

/**
 * Encode a command APDU. Throws `ExtendedLengthError` for more than 255 data bytes or Le above 256,
 * `RangeError` for header bytes outside 0..255 or Le below 1.
 */
export function encodeCommandApdu(cmd: CommandApduInit): Buffer {
  for (const [name, v] of [['CLA', cmd.cla], ['INS', cmd.ins], ['P1', cmd.p1], ['P2', cmd.p2]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be a byte, got ${v}`);
  }
  const data = cmd.data ?? EMPTY;
  const le = cmd.le;
  if (data.length > MAX_SHORT_LC) throw new ExtendedLengthError();
  if (le !== undefined) {
    if (!Number.isInteger(le) || le < 1) throw new RangeError(`Le must be 1..256, got ${le}`);
    if (le > MAX_SHORT_LE) throw new ExtendedLengthError();
  }
  const size = 4 + (data.length > 0 ? 1 + data.length : 0) + (le !== undefined ? 1 : 0);
  const out = Buffer.allocUnsafe(size);
  out[0] = cmd.cla;
  out[1] = cmd.ins;
  out[2] = cmd.p1;
  out[3] = cmd.p2;
  let at = 4;
  if (data.length > 0) {
    out[at++] = data.length;
    out.set(data, at);
    at += data.length;
  }
  if (le !== undefined) out[at] = le & 0xff;
  return out;
}

/** The ISO 7816-3 case of a command. */
export function apduCase(cmd: Pick<CommandApdu, 'data' | 'le'>): ApduCase {
  if (cmd.data.length === 0) return cmd.le === undefined ? 1 : 2;
  return cmd.le === undefined ? 3 : 4;
}

/** Parse a response APDU. Throws `ApduFormatError` if shorter than SW1 SW2 or longer than 258 bytes. */
export function parseResponseApdu(bytes: Uint8Array): ResponseApdu {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 2) throw new ApduFormatError(`response APDU of ${buf.length} bytes has no status word`);
  if (buf.length > MAX_SHORT_LE + 2) {
    throw new ApduFormatError(`response APDU of ${buf.length} bytes exceeds 256 data bytes`);
  }
  return { data: buf.subarray(0, buf.length - 2), sw: buf.readUInt16BE(buf.length - 2) };
}

/** Encode `data ‖ SW1 SW2`. Throws `RangeError` for more than 256 data bytes or a bad status word. */
export function encodeResponseApdu(data: Uint8Array, sw: number): Buffer {
  if (data.length > MAX_SHORT_LE) throw new RangeError(`response data of ${data.length} bytes exceeds 256`);
  if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) throw new RangeError(`bad status word ${sw}`);
  const out = Buffer.allocUnsafe(data.length + 2);
  out.set(data, 0);
  out.writeUInt16BE(sw, data.length);
  return out;
}

const EMPTY = Buffer.alloc(0);
