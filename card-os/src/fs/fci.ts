/**
 * File control information returned by SELECT (ISO 7816-4 §5.3.3):
 *
 * ```
 * DF:  6F L  [83 02 FID]  [84 L AID]  [A5 L proprietary]
 * EF:  62 L  80 02 size  82 01 01 (transparent) | 82 05 02/06 41 00 recLen nRec (linear/cyclic)
 *            83 02 FID  [88 01 SFI]
 * ```
 */
import { encodeTlv } from '@citycard/protocols';
import type { Df } from './df.js';
import type { Ef } from './ef.js';

const TRANSPARENT = 0x01;
const LINEAR_FIXED = 0x02;
const CYCLIC = 0x06;
// Data coding byte: one-byte data units, as in most ISO 7816 file systems.
const DATA_CODING = 0x41;

/** FCI template `6F` of a DF. `proprietary` (the `A5` value) is left out when undefined. */
export function dfFci(df: Df, proprietary: Uint8Array | undefined, withFid: boolean): Buffer {
  const parts: Buffer[] = [];
  if (withFid && df.fid !== undefined) parts.push(tlv(0x83, u16(df.fid)));
  if (df.app !== undefined) parts.push(tlv(0x84, df.app.aid));
  if (proprietary !== undefined) parts.push(tlv(0xa5, proprietary));
  return tlv(0x6f, Buffer.concat(parts));
}

/** FCP template `62` of an EF (size, descriptor, FID, SFI). */
export function efFcp(ef: Ef): Buffer {
  const parts: Buffer[] = [];
  if (ef.type === 'transparent') {
    parts.push(tlv(0x80, u16(ef.size())), tlv(0x82, Buffer.from([TRANSPARENT])));
  } else {
    const { recordLength, maxRecords } = ef.spec;
    parts.push(
      tlv(0x80, u16(recordLength * maxRecords)),
      tlv(0x82, Buffer.from([ef.type === 'cyclic' ? CYCLIC : LINEAR_FIXED, DATA_CODING, 0, recordLength, maxRecords])),
    );
  }
  parts.push(tlv(0x83, u16(ef.fid)));
  if (ef.sfi !== undefined) parts.push(tlv(0x88, Buffer.from([ef.sfi])));
  return tlv(0x62, Buffer.concat(parts));
}

function tlv(tag: number, value: Uint8Array): Buffer {
  return encodeTlv(tag, value);
}

function u16(n: number): Buffer {
  return Buffer.from([n >>> 8, n & 0xff]);
}
