/**
 * Cardholder, EF SFI 02 of the ID application (card interface spec §3), readable once the PIN is
 * verified:
 *
 * ```
 * E2 L
 *    5F20 L   name, UTF-8, 1 to 255 bytes
 *    C2   L   citizen ID number, printable ASCII without spaces (21-7E), 1 to 32 characters
 *    5F2B 04  date of birth, BCD YYYYMMDD
 *    C3   01  residency: 00 permanent, 01 temporary
 * ```
 * Encoding writes the fields in this order; decoding accepts any order but nothing else: every
 * field exactly once, no other tag, no bytes after the template.
 */
import { decodeBcdDate, encodeBcdDate } from '../bcd.js';
import { encodeTlv, tlv } from '../tlv.js';
import { IdDataError } from './errors.js';
import { decodeField, decodeTemplate } from './template.js';

/** Residency as `C3` carries it. */
export const RESIDENCY = {
  permanent: 0,
  temporary: 1,
} as const;

export type Residency = keyof typeof RESIDENCY;

export interface Cardholder {
  /** 1 to 255 bytes once UTF-8 encoded; no control characters. */
  readonly name: string;
  /** 1 to 32 printable ASCII characters, no spaces. */
  readonly citizenId: string;
  /** `YYYYMMDD`. */
  readonly dateOfBirth: string;
  readonly residency: Residency;
}

/** Template tag of the cardholder data. */
export const CARDHOLDER_TAG = 0xe2;

/** Tags of the cardholder fields. */
export const CARDHOLDER_FIELD_TAGS = {
  name: 0x5f20,
  citizenId: 0xc2,
  dateOfBirth: 0x5f2b,
  residency: 0xc3,
} as const;

const WHAT = 'cardholder';
const MAX_NAME_BYTES = 255;
const CITIZEN_ID = /^[\x21-\x7e]{1,32}$/;
// C0 controls and DEL have no place in a printed name; lone surrogates would not survive UTF-8.
const BAD_NAME_CHARS = /[\u0000-\u001f\u007f]|\p{Cs}/u;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Encode the cardholder as its `E2` template. Throws `IdDataError` (naming the field) for a name
 * that is empty, longer than 255 UTF-8 bytes or holds control characters, a citizen ID outside
 * the ranges above, an impossible date of birth, or an unknown residency.
 */
export function encodeCardholder(holder: Cardholder): Buffer {
  if (typeof holder.name !== 'string') throw new IdDataError(`${WHAT}: name must be a string`, 'name');
  const name = Buffer.from(holder.name, 'utf8');
  checkName(holder.name, name.length);
  checkCitizenId(holder.citizenId);
  const dob = field('dateOfBirth', () => encodeBcdDate(holder.dateOfBirth));
  const residency = residencyByte(holder.residency);
  const t = CARDHOLDER_FIELD_TAGS;
  return encodeTlv(CARDHOLDER_TAG, [
    tlv(t.name, name),
    tlv(t.citizenId, Buffer.from(holder.citizenId, 'latin1')),
    tlv(t.dateOfBirth, dob),
    tlv(t.residency, Buffer.from([residency])),
  ]);
}

/**
 * Decode the `E2` template (exactly, see the module comment). Throws `TlvError` for malformed
 * BER-TLV and `IdDataError` for anything else that is not as §3 says (wrong template, missing,
 * repeated or unknown field, invalid UTF-8, bad citizen ID, bad BCD date, unknown residency).
 */
export function decodeCardholder(bytes: Uint8Array): Cardholder {
  const raw = decodeTemplate(bytes, CARDHOLDER_TAG, CARDHOLDER_FIELD_TAGS, WHAT);
  const name = field('name', () => utf8.decode(raw.name));
  checkName(name, raw.name.length);
  const citizenId = raw.citizenId.toString('latin1');
  checkCitizenId(citizenId);
  const dateOfBirth = field('dateOfBirth', () => decodeBcdDate(raw.dateOfBirth));
  if (raw.residency.length !== 1) {
    throw new IdDataError(`${WHAT}: residency must be 1 byte, got ${raw.residency.length}`, 'residency');
  }
  const code = raw.residency[0]!;
  const residency = (Object.keys(RESIDENCY) as Residency[]).find((r) => RESIDENCY[r] === code);
  if (residency === undefined) throw new IdDataError(`${WHAT}: unknown residency code ${code}`, 'residency');
  return { name, citizenId, dateOfBirth, residency };
}

function checkName(name: string, byteLength: number): void {
  if (byteLength < 1 || byteLength > MAX_NAME_BYTES) {
    throw new IdDataError(`${WHAT}: name must be 1 to ${MAX_NAME_BYTES} UTF-8 bytes, got ${byteLength}`, 'name');
  }
  if (BAD_NAME_CHARS.test(name)) throw new IdDataError(`${WHAT}: name holds a control or unpaired character`, 'name');
}

function checkCitizenId(citizenId: string): void {
  if (typeof citizenId !== 'string' || !CITIZEN_ID.test(citizenId)) {
    throw new IdDataError(`${WHAT}: citizenId must be 1 to 32 printable ASCII characters without spaces`, 'citizenId');
  }
}

function residencyByte(residency: Residency): number {
  if (!Object.hasOwn(RESIDENCY, residency)) {
    throw new IdDataError(`${WHAT}: residency must be 'permanent' or 'temporary'`, 'residency');
  }
  return RESIDENCY[residency];
}

function field<T>(name: string, decode: () => T): T {
  return decodeField(WHAT, name, decode);
}
