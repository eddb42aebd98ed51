/**
 * How an application declares its elementary files in code. The runtime binds each spec to the
 * PersistentStore (fs/transparentEf.ts, fs/recordEf.ts); contents are written by personalization
 * or by commands, never declared here.
 */
import type { AccessCondition } from './accessCondition.js';

export interface EfAccess {
  readonly read: AccessCondition;
  readonly update: AccessCondition;
}

interface EfSpecCommon {
  /** File identifier 0001 to FFFE, not 3F00 or 3FFF (reserved by ISO 7816-4). */
  readonly fid: number;
  /** Short EF identifier 1 to 30, if the file can be addressed by SFI. */
  readonly sfi?: number;
  readonly access: EfAccess;
}

export interface TransparentEfSpec extends EfSpecCommon {
  readonly type: 'transparent';
  /** Largest content in bytes (1 to 65535); the current size is the length written so far. */
  readonly maxSize: number;
}

export interface RecordEfSpec extends EfSpecCommon {
  /** linear-fixed: records 1..n in order; cyclic: record 1 is the newest, the oldest drops off. */
  readonly type: 'linear-fixed' | 'cyclic';
  /** Bytes per record, 1 to 254. */
  readonly recordLength: number;
  /** Most records the file holds, 1 to 254. */
  readonly maxRecords: number;
}

export type EfSpec = TransparentEfSpec | RecordEfSpec;

/** Throws `RangeError` naming the problem when `spec` breaks the ranges stated above. */
export function checkEfSpec(spec: EfSpec): void {
  const where = `EF ${spec.fid.toString(16).toUpperCase().padStart(4, '0')}`;
  if (!isInt(spec.fid, 1, 0xfffe) || spec.fid === 0x3f00 || spec.fid === 0x3fff) {
    throw new RangeError(`${where}: FID must be 0001 to FFFE and not 3F00/3FFF`);
  }
  if (spec.sfi !== undefined && !isInt(spec.sfi, 1, 30)) throw new RangeError(`${where}: SFI must be 1 to 30`);
  if (spec.type === 'transparent') {
    if (!isInt(spec.maxSize, 1, 0xffff)) throw new RangeError(`${where}: maxSize must be 1 to 65535`);
  } else {
    if (!isInt(spec.recordLength, 1, 254)) throw new RangeError(`${where}: recordLength must be 1 to 254`);
    if (!isInt(spec.maxRecords, 1, 254)) throw new RangeError(`${where}: maxRecords must be 1 to 254`);
  }
}

function isInt(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}
