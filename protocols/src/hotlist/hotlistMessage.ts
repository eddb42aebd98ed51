/**
 * The signed hotlist message terminals fetch (docs/hotlist.md has a worked example):
 *
 * ```
 * offset size
 *  0      4   magic "CCHL" (43 43 48 4C)
 *  4      1   format 01
 *  5      1   kind: 01 delta, 02 snapshot
 *  6      4   base version, big-endian (snapshot: 00000000)
 * 10      4   new version, big-endian
 * 14      4   issued at, Unix seconds, big-endian
 * 18      4   entry count N, big-endian
 * 22      N×  delta entry (10 bytes): action (01 add, 02 remove) ‖ reason ‖ card number (8 bytes BCD);
 *             entry i carries version base+1+i, so N = new - base
 *             snapshot entry (8 bytes): card number (BCD), strictly ascending
 * end-64 64   Ed25519 signature over every byte before it
 * ```
 *
 * Encoding and parsing here are pure; signing and verifying live in `hotlistSignature.ts`.
 */
import { decodeBcd, encodeBcd } from '../bcd.js';
import { readUintBE, uintBE } from '../bytes.js';
import { HotlistMessageError } from './errors.js';

export const HOTLIST_MAGIC = Buffer.from('CCHL', 'ascii');
export const HOTLIST_FORMAT = 0x01;
export const HOTLIST_HEADER_LENGTH = 22;
export const HOTLIST_SIGNATURE_LENGTH = 64;
export const HOTLIST_DELTA_ENTRY_LENGTH = 10;
export const HOTLIST_SNAPSHOT_ENTRY_LENGTH = 8;
/** Versions and counts are 32-bit unsigned. */
export const MAX_HOTLIST_VERSION = 0xffff_ffff;

export const HOTLIST_KIND = { delta: 0x01, snapshot: 0x02 } as const;
export type HotlistKind = keyof typeof HOTLIST_KIND;

export const HOTLIST_ACTION = { add: 0x01, remove: 0x02 } as const;
export type HotlistAction = keyof typeof HOTLIST_ACTION;

/** Why a card was listed or delisted; `found` goes with `remove`, the others with `add`. */
export const HOTLIST_REASON = { lost: 0x01, stolen: 0x02, revoked: 0x03, replaced: 0x04, found: 0x05 } as const;
export type HotlistReason = keyof typeof HOTLIST_REASON;

/** One change of the list; `version` is implicit on the wire (base + 1 + index). */
export interface HotlistDeltaEntry {
  readonly version: number;
  readonly action: HotlistAction;
  readonly reason: HotlistReason;
  /** 16 decimal digits. */
  readonly cardNumber: string;
}

export interface HotlistDelta {
  readonly kind: 'delta';
  readonly baseVersion: number;
  readonly version: number;
  readonly issuedAt: Date;
  readonly entries: readonly HotlistDeltaEntry[];
}

export interface HotlistSnapshot {
  readonly kind: 'snapshot';
  readonly version: number;
  readonly issuedAt: Date;
  /** Every listed card number, any order on input, ascending on the wire. */
  readonly cardNumbers: readonly string[];
}

export type HotlistMessage = HotlistDelta | HotlistSnapshot;

const CARD_NUMBER = /^[0-9]{16}$/;

/**
 * The bytes a signature covers (everything but the signature). Throws `RangeError` for a version
 * or count outside 0..2^32-1, entry versions that are not base+1, base+2, …, new, or a card
 * number that is not 16 digits; `HotlistMessageError` `MALFORMED` for duplicate snapshot cards.
 */
export function encodeHotlistBody(message: HotlistMessage): Buffer {
  const issued = Math.floor(message.issuedAt.getTime() / 1000);
  if (message.kind === 'delta') {
    const { baseVersion, version, entries } = message;
    if (version - baseVersion !== entries.length) {
      throw new RangeError(`a delta from ${baseVersion} to ${version} needs ${version - baseVersion} entries, got ${entries.length}`);
    }
    const body = entries.map((entry, i) => {
      if (entry.version !== baseVersion + 1 + i) throw new RangeError(`entry ${i} must have version ${baseVersion + 1 + i}, got ${entry.version}`);
      return Buffer.concat([Buffer.from([HOTLIST_ACTION[entry.action], HOTLIST_REASON[entry.reason]]), cardBcd(entry.cardNumber)]);
    });
    return Buffer.concat([header(HOTLIST_KIND.delta, baseVersion, version, issued, entries.length), ...body]);
  }
  const sorted = [...message.cardNumbers].sort();
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i] === sorted[i - 1]) throw new HotlistMessageError('MALFORMED', `card ${sorted[i]} is twice in the snapshot`);
  }
  return Buffer.concat([header(HOTLIST_KIND.snapshot, 0, message.version, issued, sorted.length), ...sorted.map(cardBcd)]);
}

/**
 * Parse a whole message (body and signature) without checking the signature. Throws
 * `HotlistMessageError` `MALFORMED` for wrong magic, format, kind, lengths, reasons, BCD, version
 * arithmetic or snapshot order.
 */
export function parseHotlistMessage(bytes: Uint8Array): { message: HotlistMessage; body: Buffer; signature: Buffer } {
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (all.length < HOTLIST_HEADER_LENGTH + HOTLIST_SIGNATURE_LENGTH) malformed(`${all.length} bytes is shorter than a header and a signature`);
  if (!all.subarray(0, 4).equals(HOTLIST_MAGIC)) malformed('no CCHL magic');
  if (all[4] !== HOTLIST_FORMAT) malformed(`unknown format ${all[4]}`);
  const kindByte = all[5];
  const baseVersion = readUintBE(all, 6, 4);
  const version = readUintBE(all, 10, 4);
  const issuedAt = new Date(readUintBE(all, 14, 4) * 1000);
  const count = readUintBE(all, 18, 4);
  const body = all.subarray(0, all.length - HOTLIST_SIGNATURE_LENGTH);
  const signature = all.subarray(all.length - HOTLIST_SIGNATURE_LENGTH);
  const entriesBytes = body.subarray(HOTLIST_HEADER_LENGTH);
  if (kindByte === HOTLIST_KIND.delta) {
    if (entriesBytes.length !== count * HOTLIST_DELTA_ENTRY_LENGTH) malformed(`${count} delta entries need ${count * HOTLIST_DELTA_ENTRY_LENGTH} bytes, got ${entriesBytes.length}`);
    if (version < baseVersion || version - baseVersion !== count) malformed(`a delta from ${baseVersion} to ${version} cannot hold ${count} entries`);
    const entries: HotlistDeltaEntry[] = [];
    for (let i = 0; i < count; i++) {
      const at = i * HOTLIST_DELTA_ENTRY_LENGTH;
      entries.push({
        version: baseVersion + 1 + i,
        action: lookup(HOTLIST_ACTION, entriesBytes[at], 'action'),
        reason: lookup(HOTLIST_REASON, entriesBytes[at + 1], 'reason'),
        cardNumber: cardFrom(entriesBytes.subarray(at + 2, at + HOTLIST_DELTA_ENTRY_LENGTH)),
      });
    }
    return { message: { kind: 'delta', baseVersion, version, issuedAt, entries }, body, signature };
  }
  if (kindByte === HOTLIST_KIND.snapshot) {
    if (baseVersion !== 0) malformed('a snapshot has base version 0');
    if (entriesBytes.length !== count * HOTLIST_SNAPSHOT_ENTRY_LENGTH) malformed(`${count} snapshot entries need ${count * HOTLIST_SNAPSHOT_ENTRY_LENGTH} bytes, got ${entriesBytes.length}`);
    const cardNumbers: string[] = [];
    for (let i = 0; i < count; i++) {
      const card = cardFrom(entriesBytes.subarray(i * 8, i * 8 + 8));
      const previous = cardNumbers[i - 1];
      if (previous !== undefined && previous >= card) malformed('snapshot cards are not strictly ascending');
      cardNumbers.push(card);
    }
    return { message: { kind: 'snapshot', version, issuedAt, cardNumbers }, body, signature };
  }
  return malformed(`unknown kind ${kindByte}`);
}

function header(kind: number, base: number, version: number, issued: number, count: number): Buffer {
  return Buffer.concat([HOTLIST_MAGIC, Buffer.from([HOTLIST_FORMAT, kind]), uintBE(base, 4), uintBE(version, 4), uintBE(issued, 4), uintBE(count, 4)]);
}

function cardBcd(cardNumber: string): Buffer {
  if (!CARD_NUMBER.test(cardNumber)) throw new RangeError('card number must be 16 decimal digits');
  return encodeBcd(cardNumber);
}

function cardFrom(bytes: Buffer): string {
  try {
    return decodeBcd(bytes);
  } catch (err) {
    return malformed('card number is not BCD', err);
  }
}

function lookup<K extends string>(table: Readonly<Record<K, number>>, value: number | undefined, what: string): K {
  const key = (Object.keys(table) as K[]).find((k) => table[k] === value);
  return key ?? malformed(`unknown ${what} ${value}`);
}

function malformed(message: string, cause?: unknown): never {
  throw new HotlistMessageError('MALFORMED', `hotlist message: ${message}`, cause === undefined ? undefined : { cause });
}
