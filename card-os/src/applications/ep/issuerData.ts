/**
 * EF 0x15 of the EP application (spec §4), 30 bytes, always readable, and the `9F0C` of the FCI:
 *
 * ```
 * issuer id (8) ‖ app type 02 (1) ‖ app version (1) ‖ card number (8, BCD) ‖
 * effective date (4, BCD) ‖ expiry date (4, BCD) ‖ card type (1) ‖ RFU 000000 (3)
 * ```
 * The card number is also the key diversification factor F of §4.1.
 */
import { decodeBcd, decodeBcdDate, encodeBcd, encodeBcdDate, toHex } from '@citycard/protocols';
import { EpDataError } from './epErrors.js';

export const EP_ISSUER_DATA_LENGTH = 30;
/** Application type of an electronic purse. */
export const EP_APP_TYPE = 0x02;

export interface EpIssuerData {
  /** 8 bytes as 16 hex digits (upper case when decoded), e.g. '0000000000000001'. */
  readonly issuerId: string;
  /** Application version, 0 to 255. */
  readonly appVersion: number;
  /** 16 decimal digits. */
  readonly cardNumber: string;
  /** `YYYYMMDD`. */
  readonly effectiveDate: string;
  /** `YYYYMMDD`, not before the effective date. */
  readonly expiryDate: string;
  /** Card type byte as in the ID application (00 adult ... 04 floating population), 0 to 255. */
  readonly cardType: number;
}

/**
 * The 30 bytes of EF 0x15 (app type 02, RFU zero). Throws `EpDataError` naming the field for an
 * issuer id that is not 16 hex digits, a card number that is not 16 digits, an impossible date, an
 * expiry before the effective date, or a version or card type outside 0 to 255.
 */
export function encodeEpIssuerData(data: EpIssuerData): Buffer {
  if (typeof data.issuerId !== 'string' || !/^[0-9A-Fa-f]{16}$/.test(data.issuerId)) {
    throw new EpDataError('issuerId must be 16 hex digits (8 bytes)', 'issuerId');
  }
  checkByte('appVersion', data.appVersion);
  if (typeof data.cardNumber !== 'string' || !/^[0-9]{16}$/.test(data.cardNumber)) {
    throw new EpDataError('cardNumber must be 16 decimal digits', 'cardNumber');
  }
  const effective = field('effectiveDate', () => encodeBcdDate(data.effectiveDate));
  const expiry = field('expiryDate', () => encodeBcdDate(data.expiryDate));
  if (data.expiryDate < data.effectiveDate) throw new EpDataError('expiryDate is before effectiveDate', 'expiryDate');
  checkByte('cardType', data.cardType);
  const out = Buffer.alloc(EP_ISSUER_DATA_LENGTH);
  out.write(data.issuerId, 0, 'hex');
  out[8] = EP_APP_TYPE;
  out[9] = data.appVersion;
  encodeBcd(data.cardNumber).copy(out, 10);
  effective.copy(out, 18);
  expiry.copy(out, 22);
  out[26] = data.cardType;
  return out;
}

/**
 * Decode EF 0x15. Throws `EpDataError` for a length other than 30, an app type other than 02, a
 * card number or date that is not valid BCD, or an expiry before the effective date.
 */
export function decodeEpIssuerData(bytes: Uint8Array): EpIssuerData {
  if (bytes.length !== EP_ISSUER_DATA_LENGTH) {
    throw new EpDataError(`EF 0x15 must be ${EP_ISSUER_DATA_LENGTH} bytes, got ${bytes.length}`, 'length');
  }
  if (bytes[8] !== EP_APP_TYPE) throw new EpDataError(`app type must be 02, got ${bytes[8]}`, 'appType');
  const effectiveDate = field('effectiveDate', () => decodeBcdDate(bytes.subarray(18, 22)));
  const expiryDate = field('expiryDate', () => decodeBcdDate(bytes.subarray(22, 26)));
  if (expiryDate < effectiveDate) throw new EpDataError('expiryDate is before effectiveDate', 'expiryDate');
  return {
    issuerId: toHex(bytes.subarray(0, 8)),
    appVersion: bytes[9]!,
    cardNumber: field('cardNumber', () => decodeBcd(bytes.subarray(10, 18))),
    effectiveDate,
    expiryDate,
    cardType: bytes[26]!,
  };
}

function checkByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new EpDataError(`${name} must be 0 to 255, got ${value}`, name);
}

function field<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new EpDataError(`${name}: ${err instanceof Error ? err.message : String(err)}`, name, { cause: err });
  }
}
