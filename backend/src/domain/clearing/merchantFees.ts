/** A merchant's purchase fee, as clearing applies it (basis points of each purchase, rounded down). */
import type { Database } from 'better-sqlite3';
import { ClearingRepository } from '../../data/clearingRepository.js';
import { InvalidFeeError } from './errors.js';

/**
 * Sets the fee clearing applies to the merchant's purchases from now on (purchases already posted
 * keep theirs). @throws InvalidFeeError unless an integer of 0 to 10,000; the driver's foreign-key
 * error for an unknown merchant.
 */
export function setMerchantFee(db: Database, merchantId: string, feeBps: number, at: Date): void {
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000) throw new InvalidFeeError(feeBps);
  new ClearingRepository(db).setMerchantFeeBps(merchantId, feeBps, at.toISOString());
}

/** The merchant's own fee, or undefined when it pays the clearing default. */
export function merchantFee(db: Database, merchantId: string): number | undefined {
  return new ClearingRepository(db).merchantFeeBps(merchantId);
}
