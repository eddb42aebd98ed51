/**
 * How long a BER-TLV (or DER) object is, from its first bytes only. A terminal reading an EF that
 * holds one object (card info, cardholder, the DER certificate) learns from the first chunk how
 * many bytes to read in all; a file longer than its object may be padded, and the padding is
 * not part of the object.
 */
import { TlvError } from '../errors.js';

/** Bytes of a header at most: 4 tag bytes and 1 + 4 length bytes. */
export const MAX_TLV_HEADER = 9;

/**
 * Total size (header and value) of the object starting at `head[0]`, or undefined when `head` is
 * too short to tell. Throws `TlvError` on a header that strict BER-TLV refuses (filler byte as
 * tag, tag over 4 bytes, indefinite or non-minimal length, length on more than 4 bytes).
 */
export function tlvObjectSize(head: Uint8Array): number | undefined {
  if (head.length === 0) return undefined;
  const first = head[0]!;
  if (first === 0x00 || first === 0xff) throw new TlvError(`filler byte where a tag belongs`, 0);
  let at = 1;
  if ((first & 0x1f) === 0x1f) {
    for (;;) {
      if (at >= head.length) return undefined;
      const b = head[at++]!;
      if ((b & 0x80) === 0) break;
      if (at >= 4) throw new TlvError('tag longer than 4 bytes', 0);
    }
  }
  if (at >= head.length) return undefined;
  const l0 = head[at++]!;
  if (l0 < 0x80) return at + l0;
  if (l0 === 0x80) throw new TlvError('indefinite length is not allowed', at - 1);
  const n = l0 & 0x7f;
  if (n > 4) throw new TlvError(`length on ${n} bytes is not supported`, at - 1);
  if (at + n > head.length) return undefined;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + head[at + i]!;
  const minimal = length < 0x80 ? 0 : length < 0x100 ? 1 : length < 0x10000 ? 2 : length < 0x1000000 ? 3 : 4;
  if (n !== minimal) throw new TlvError(`length ${length} not minimally encoded`, at - 1);
  return at + n + length;
}
