/**
 * EF 0x12 of the EP (card interface spec §4), 8 bytes:
 *
 * ```
 * max balance (4) ‖ max single purchase (4)
 * read: 00 B0 92 00 08
 * ```
 */
import type { ResponseApdu } from '../../apdu.js';
import { readUintBE } from '../../bytes.js';
import { type CardCommand, requireDataLength, requireResultStatus } from '../cardCommand.js';
import { READ_BINARY_STATUS, encodeReadBinary } from '../readBinary.js';
import { EP_SFI, PurseDataError } from './purseCommon.js';

/** Bytes of EF 0x12. */
export const EP_LIMITS_LENGTH = 8;

export interface EpLimits {
  /** Highest balance a load may reach, 0 to 2^32-1. */
  readonly maxBalance: number;
  /** Highest amount of one purchase, 0 to 2^32-1. */
  readonly maxSinglePurchase: number;
}

/** Encode EF 0x12. Throws `PurseDataError` for a limit that is not an integer 0 to 2^32-1. */
export function encodeEpLimits(limits: EpLimits): Buffer {
  const out = Buffer.alloc(EP_LIMITS_LENGTH);
  for (const [name, at] of [['maxBalance', 0], ['maxSinglePurchase', 4]] as const) {
    const value = limits[name];
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new PurseDataError(`EF 12: ${name} must be an integer 0 to 4294967295`, name);
    }
    out.writeUInt32BE(value, at);
  }
  return out;
}

/** Decode EF 0x12. Throws `PurseDataError` for another length. */
export function decodeEpLimits(bytes: Uint8Array): EpLimits {
  if (bytes.length !== EP_LIMITS_LENGTH) throw new PurseDataError(`EF 12 must be ${EP_LIMITS_LENGTH} bytes, got ${bytes.length}`);
  return { maxBalance: readUintBE(bytes, 0, 4), maxSinglePurchase: readUintBE(bytes, 4, 4) };
}

/** READ BINARY of EF 0x12 by SFI: `00 B0 92 00 08`. */
export function encodeReadEpLimits(): Buffer {
  return encodeReadBinary({ sfi: EP_SFI.limits }, EP_LIMITS_LENGTH);
}

/** The decoded file. Throws `ResponseDataError` unless 8 bytes came with 9000. */
export function parseReadEpLimitsResponse(response: ResponseApdu): EpLimits {
  requireResultStatus('READ BINARY EF 12', response.sw, 0x9000);
  requireDataLength('READ BINARY EF 12', response.data, EP_LIMITS_LENGTH);
  return decodeEpLimits(response.data);
}

/** READ BINARY of EF 0x12 ready to send. */
export function readEpLimitsCommand(): CardCommand<EpLimits> {
  return { name: 'READ BINARY EF 12', apdu: encodeReadEpLimits(), statusTable: READ_BINARY_STATUS, parse: parseReadEpLimitsResponse };
}
