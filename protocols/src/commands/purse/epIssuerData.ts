/**
 * EF 0x15 of the EP (card interface spec §4), 30 bytes, always readable; the EP also returns it
 * in `9F0C` of its FCI:
 *
 * ```
 * issuer id (8) ‖ app type 02 (1) ‖ app version (1) ‖ card number (8, BCD) ‖ effective date (4)
 *   ‖ expiry date (4) ‖ card type (1) ‖ RFU (3)
 * read: 00 B0 95 00 1E
 * ```
 * The card number is also the key diversification factor of the card's purse keys.
 */
import type { ResponseApdu } from '../../apdu.js';
import { decodeBcd, decodeBcdDate, encodeBcd, encodeBcdDate } from '../../bcd.js';
import { ProtocolError } from '../../errors.js';
import { type CardCommand, requireDataLength, requireResultStatus } from '../cardCommand.js';
import { READ_BINARY_STATUS, encodeReadBinary } from '../readBinary.js';
import { EP_ISSUER_DATA_LENGTH } from '../select.js';
import { EP_SFI, PurseDataError } from './purseCommon.js';

/** Application type of an EP in EF 0x15. */
export const EP_APPLICATION_TYPE = 0x02;

export interface EpIssuerData {
  /** 8 bytes as 16 hex digits; decoding yields upper case. */
  readonly issuerId: string;
  /** Application version, 0 to 255. */
  readonly appVersion: number;
  /** 16 decimal digits. */
  readonly cardNumber: string;
  /** `YYYYMMDD`. */
  readonly effectiveDate: string;
  /** `YYYYMMDD`. */
  readonly expiryDate: string;
  /** Card type byte, 0 to 255 (00 adult, 01 student, 02 senior, 03 concession, 04 floating population). */
  readonly cardType: number;
}

/**
 * Encode EF 0x15 (RFU zero). Throws `PurseDataError` naming the field for an issuer id that is
 * not 16 hex digits, a card number that is not 16 digits, an impossible date, or a version or
 * card type that is not a byte.
 */
export function encodeEpIssuerData(data: EpIssuerData): Buffer {
  if (typeof data.issuerId !== 'string' || !/^[0-9A-Fa-f]{16}$/.test(data.issuerId)) {
    throw new PurseDataError('EF 15: issuerId must be 16 hex digits', 'issuerId');
  }
  if (typeof data.cardNumber !== 'string' || !/^[0-9]{16}$/.test(data.cardNumber)) {
    throw new PurseDataError('EF 15: cardNumber must be 16 digits', 'cardNumber');
  }
  checkByte('appVersion', data.appVersion);
  checkByte('cardType', data.cardType);
  const out = Buffer.alloc(EP_ISSUER_DATA_LENGTH);
  out.write(data.issuerId, 0, 'hex');
  out[8] = EP_APPLICATION_TYPE;
  out[9] = data.appVersion;
  encodeBcd(data.cardNumber).copy(out, 10);
  field('effectiveDate', () => encodeBcdDate(data.effectiveDate)).copy(out, 18);
  field('expiryDate', () => encodeBcdDate(data.expiryDate)).copy(out, 22);
  out[26] = data.cardType;
  return out;
}

/**
 * Decode EF 0x15. RFU bytes are ignored. Throws `PurseDataError` for another length, an app type
 * other than 02, a card number that is not BCD or an impossible date.
 */
export function decodeEpIssuerData(bytes: Uint8Array): EpIssuerData {
  if (bytes.length !== EP_ISSUER_DATA_LENGTH) {
    throw new PurseDataError(`EF 15 must be ${EP_ISSUER_DATA_LENGTH} bytes, got ${bytes.length}`);
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b[8] !== EP_APPLICATION_TYPE) {
    throw new PurseDataError(`EF 15: application type must be 02, got ${b[8]!.toString(16).padStart(2, '0')}`, 'applicationType');
  }
  return {
    issuerId: b.subarray(0, 8).toString('hex').toUpperCase(),
    appVersion: b[9]!,
    cardNumber: field('cardNumber', () => decodeBcd(b.subarray(10, 18))),
    effectiveDate: field('effectiveDate', () => decodeBcdDate(b.subarray(18, 22))),
    expiryDate: field('expiryDate', () => decodeBcdDate(b.subarray(22, 26))),
    cardType: b[26]!,
  };
}

/** READ BINARY of EF 0x15 by SFI: `00 B0 95 00 1E`. */
export function encodeReadEpIssuerData(): Buffer {
  return encodeReadBinary({ sfi: EP_SFI.issuer }, EP_ISSUER_DATA_LENGTH);
}

/** The decoded file. Throws `ResponseDataError` unless 30 bytes came with 9000, `PurseDataError` for bad content. */
export function parseReadEpIssuerDataResponse(response: ResponseApdu): EpIssuerData {
  requireResultStatus('READ BINARY EF 15', response.sw, 0x9000);
  requireDataLength('READ BINARY EF 15', response.data, EP_ISSUER_DATA_LENGTH);
  return decodeEpIssuerData(response.data);
}

/** READ BINARY of EF 0x15 ready to send. */
export function readEpIssuerDataCommand(): CardCommand<EpIssuerData> {
  return {
    name: 'READ BINARY EF 15',
    apdu: encodeReadEpIssuerData(),
    statusTable: READ_BINARY_STATUS,
    parse: parseReadEpIssuerDataResponse,
  };
}

function checkByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new PurseDataError(`EF 15: ${name} must be a byte`, name);
}

function field<T>(name: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof ProtocolError) throw new PurseDataError(`EF 15: ${name}: ${err.message}`, name, { cause: err });
    throw err;
  }
}
