/**
 * EF 0x15 of the EP application (spec §4), 30 bytes, always readable, and the `9F0C` of the FCI:
 *
 * ```
 * issuer id (8) ‖ app type 02 (1) ‖ app version (1) ‖ card number (8, BCD) ‖
 * effective date (4, BCD) ‖ expiry date (4, BCD) ‖ card type (1) ‖ RFU 000000 (3)
 * ```
 * The card number is also the key diversification factor F of §4.1.
 */
import {
  EP_ISSUER_DATA_LENGTH,
  PurseDataError,
  decodeEpIssuerData as decodeWire,
  encodeEpIssuerData as encodeWire,
  type EpIssuerData,
} from '@citycard/protocols';
import { EpDataError } from './epErrors.js';

// One codec for EF 0x15 on both sides of the interface: the terminal's (protocols). The card adds
// the rule that a card never expires before it takes effect, and reports its own error type.
export { EP_ISSUER_DATA_LENGTH, type EpIssuerData };
/** Application type of an electronic purse. */
export const EP_APP_TYPE = 0x02;

/**
 * The 30 bytes of EF 0x15 (app type 02, RFU zero). Throws `EpDataError` naming the field for an
 * issuer id that is not 16 hex digits, a card number that is not 16 digits, an impossible date, an
 * expiry before the effective date, or a version or card type outside 0 to 255.
 */
export function encodeEpIssuerData(data: EpIssuerData): Buffer {
  const bytes = asEpDataError(() => encodeWire(data));
  if (data.expiryDate < data.effectiveDate) throw new EpDataError('expiryDate is before effectiveDate', 'expiryDate');
  return bytes;
}

/**
 * Decode EF 0x15. Throws `EpDataError` for a length other than 30, an app type other than 02, a
 * card number or date that is not valid BCD, or an expiry before the effective date.
 */
export function decodeEpIssuerData(bytes: Uint8Array): EpIssuerData {
  const data = asEpDataError(() => decodeWire(bytes));
  if (data.expiryDate < data.effectiveDate) throw new EpDataError('expiryDate is before effectiveDate', 'expiryDate');
  return data;
}

function asEpDataError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PurseDataError) throw new EpDataError(err.message, err.field ?? 'length', { cause: err });
    throw err;
  }
}
