/**
 * Strict BER-TLV (ISO/IEC 7816-4 §5.2, the subset EMV and PBOC cards use).
 *
 * Tags are 1 to 4 bytes and are handled as numbers (`0x5F20`, `0x9F0C`). Lengths are definite:
 * `00`-`7F`, or `81`-`84` followed by 1-4 length bytes. "Strict" means: the input is consumed
 * exactly (no trailing or missing bytes), lengths are minimally encoded, tag numbers have no
 * leading zero byte (EMV's `9F0C` style of a small number in two bytes is allowed), no indefinite
 * length, no `00`/`FF` filler between objects, nesting at most 16 levels. Any violation is a
 * `TlvError` carrying the offset, never an exception from deeper inside.
 */
import { TlvError } from './errors.js';

export interface Tlv {
  readonly tag: number;
  /** The value field; for a constructed tag, the encoding of its children. */
  readonly value: Buffer;
  /** Decoded children of a constructed tag (bit 6 of the first tag byte set). */
  readonly children?: readonly Tlv[];
}

const MAX_DEPTH = 16;

/** Whether the tag's first byte has the constructed bit (b6) set. */
export function tagIsConstructed(tag: number): boolean {
  return (tagBytes(tag)[0]! & 0x20) !== 0;
}

/** Decode a complete sequence of BER-TLV objects. Throws `TlvError`. */
export function decodeTlv(bytes: Uint8Array): Tlv[] {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeRange(buf, 0, buf.length, 0);
}

/** Decode exactly one BER-TLV object (no bytes may follow). Throws `TlvError`. */
export function decodeSingleTlv(bytes: Uint8Array): Tlv {
  const list = decodeTlv(bytes);
  if (list.length !== 1) throw new TlvError(`expected one TLV object, found ${list.length}`, 0);
  return list[0]!;
}

function decodeRange(buf: Buffer, start: number, end: number, depth: number): Tlv[] {
  if (depth > MAX_DEPTH) throw new TlvError(`nesting deeper than ${MAX_DEPTH} levels`, start);
  const out: Tlv[] = [];
  let at = start;
  while (at < end) {
    const tagStart = at;
    const first = buf[at++]!;
    if (first === 0x00 || first === 0xff) throw new TlvError(`filler byte ${hex2(first)} where a tag belongs`, tagStart);
    let tag = first;
    if ((first & 0x1f) === 0x1f) {
      let count = 0;
      for (;;) {
        if (at >= end) throw new TlvError('truncated tag', tagStart);
        const b = buf[at++]!;
        if (count === 0 && b === 0x80) throw new TlvError('tag number with a leading zero byte', tagStart);
        tag = tag * 256 + b;
        count++;
        if ((b & 0x80) === 0) break;
        if (count >= 3) throw new TlvError('tag longer than 4 bytes', tagStart);
      }
    }
    if (at >= end) throw new TlvError('missing length', at);
    const lenStart = at;
    const l0 = buf[at++]!;
    let length: number;
    if (l0 < 0x80) {
      length = l0;
    } else if (l0 === 0x80) {
      throw new TlvError('indefinite length is not allowed', lenStart);
    } else {
      const n = l0 & 0x7f;
      if (n > 4) throw new TlvError(`length on ${n} bytes is not supported`, lenStart);
      if (at + n > end) throw new TlvError('truncated length', lenStart);
      length = 0;
      for (let i = 0; i < n; i++) length = length * 256 + buf[at++]!;
      const minimal = length < 0x80 ? 0 : length < 0x100 ? 1 : length < 0x10000 ? 2 : length < 0x1000000 ? 3 : 4;
      if (n !== minimal) throw new TlvError(`length ${length} not minimally encoded`, lenStart);
    }
    if (length > end - at) {
      throw new TlvError(`value of ${length} bytes but only ${end - at} remain`, lenStart);
    }
    const value = buf.subarray(at, at + length);
    const constructed = (first & 0x20) !== 0;
    out.push(
      constructed
        ? { tag, value, children: decodeRange(buf, at, at + length, depth + 1) }
        : { tag, value },
    );
    at += length;
  }
  return out;
}

/** Encode one object. `value` is raw bytes or, for a constructed tag, its children. */
export function encodeTlv(tag: number, value: Uint8Array | readonly Tlv[]): Buffer {
  const t = tagBytes(tag);
  const v = value instanceof Uint8Array ? value : encodeTlvList(value);
  return Buffer.concat([t, lengthBytes(v.length), v]);
}

/** Encode a list of objects, children first where present. */
export function encodeTlvList(list: readonly Tlv[]): Buffer {
  return Buffer.concat(list.map((item) => encodeTlv(item.tag, item.children ?? item.value)));
}

/** Build a primitive object (for use in encodeTlv children lists). */
export function tlv(tag: number, value: Uint8Array | readonly Tlv[]): Tlv {
  if (value instanceof Uint8Array) return { tag, value: Buffer.from(value) };
  return { tag, value: encodeTlvList(value), children: value };
}

/** First object with `tag`, searching depth first through constructed objects. */
export function findTlv(list: readonly Tlv[], tag: number): Tlv | undefined {
  for (const item of list) {
    if (item.tag === tag) return item;
    if (item.children) {
      const found = findTlv(item.children, tag);
      if (found) return found;
    }
  }
  return undefined;
}

/** The tag's bytes. Throws `RangeError` for a number that is not a well-formed 1-4 byte tag. */
export function tagBytes(tag: number): Buffer {
  if (!Number.isInteger(tag) || tag <= 0 || tag > 0xffffffff) throw new RangeError(`bad tag ${tag}`);
  const bytes: number[] = [];
  let rest = tag;
  while (rest > 0) {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  const first = bytes[0]!;
  const multi = (first & 0x1f) === 0x1f;
  const ok =
    first !== 0xff &&
    (multi
      ? bytes.length >= 2 &&
        bytes[1] !== 0x80 &&
        bytes.slice(1, -1).every((b) => (b & 0x80) !== 0) &&
        (bytes[bytes.length - 1]! & 0x80) === 0
      : bytes.length === 1);
  if (!ok) throw new RangeError(`tag ${tag.toString(16).toUpperCase()} is not a well-formed BER tag`);
  return Buffer.from(bytes);
}

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  if (n < 0x10000) return Buffer.from([0x82, n >> 8, n & 0xff]);
  if (n < 0x1000000) return Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  throw new RangeError(`TLV value of ${n} bytes is too long`);
}

function hex2(b: number): string {
  return b.toString(16).toUpperCase().padStart(2, '0');
}
