/**
 * EF 0x12 of the EP application (spec §4): max balance (4) ‖ max single purchase (4), in fen.
 * INITIALIZE FOR LOAD answers `6985` when the new balance would pass the max balance,
 * INITIALIZE FOR PURCHASE answers `6985` when the amount passes the max single purchase.
 */
import type { PersistentStore } from '../../storage/index.js';
import { corruptValue, EpDataError } from './epErrors.js';
import { EP_LIMITS_KEY, EP_MAX_AMOUNT } from './epStore.js';

export const EP_LIMITS_LENGTH = 8;

export interface PurseLimits {
  /** 0 to 2^32-1. */
  readonly maxBalance: number;
  /** 0 to 2^32-1. */
  readonly maxSinglePurchase: number;
}

/** The 8 bytes of EF 0x12. Throws `EpDataError` for a limit outside 0 to 2^32-1. */
export function encodePurseLimits(limits: PurseLimits): Buffer {
  for (const [name, value] of [['maxBalance', limits.maxBalance], ['maxSinglePurchase', limits.maxSinglePurchase]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > EP_MAX_AMOUNT) {
      throw new EpDataError(`${name} must be an integer 0 to ${EP_MAX_AMOUNT}, got ${value}`, name);
    }
  }
  const out = Buffer.allocUnsafe(EP_LIMITS_LENGTH);
  out.writeUInt32BE(limits.maxBalance, 0);
  out.writeUInt32BE(limits.maxSinglePurchase, 4);
  return out;
}

/** Decode EF 0x12. Throws `EpDataError` for a length other than 8. */
export function decodePurseLimits(bytes: Uint8Array): PurseLimits {
  if (bytes.length !== EP_LIMITS_LENGTH) throw new EpDataError(`EF 0x12 must be 8 bytes, got ${bytes.length}`, 'length');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { maxBalance: buf.readUInt32BE(0), maxSinglePurchase: buf.readUInt32BE(4) };
}

/**
 * The committed limits, or undefined before personalization. Throws `CardError` `6581` for a
 * stored value that is not 8 bytes.
 */
export function storedPurseLimits(store: PersistentStore): PurseLimits | undefined {
  const value = store.get(EP_LIMITS_KEY);
  if (value === undefined) return undefined;
  if (value.length !== EP_LIMITS_LENGTH) throw corruptValue(EP_LIMITS_KEY);
  return decodePurseLimits(value);
}
