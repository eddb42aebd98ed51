/**
 * Card info, EF SFI 01 of the ID application (card interface spec §3), always readable:
 *
 * ```
 * E1 L
 *    5A   08  card number, 16 digits BCD
 *    5F25 04  effective date, BCD YYYYMMDD
 *    5F24 04  expiry date, BCD YYYYMMDD
 *    C1   01  card type: 00 adult, 01 student, 02 senior, 03 concession, 04 floating population
 *    42   08  issuer id
 * ```
 * Encoding writes the fields in this order; decoding accepts any order but nothing else: every
 * field exactly once, no other tag, no bytes after the template.
 */
import { decodeBcd, decodeBcdDate, encodeBcd, encodeBcdDate } from '../bcd.js';
import { encodeTlv, tlv } from '../tlv.js';
import { IdDataError } from './errors.js';
import { decodeField, decodeTemplate } from './template.js';

/** Card types as `C1` carries them. */
export const CARD_TYPE = {
  adult: 0,
  student: 1,
  senior: 2,
  concession: 3,
  floatingPopulation: 4,
} as const;

export type CardTypeName = keyof typeof CARD_TYPE;
/** A card type byte, 0 to 4 (see {@link CARD_TYPE}). */
export type CardType = (typeof CARD_TYPE)[CardTypeName];

export interface CardInfo {
  /** 16 decimal digits. */
  readonly cardNumber: string;
  /** `YYYYMMDD`. */
  readonly effectiveDate: string;
  /** `YYYYMMDD`, not before the effective date. */
  readonly expiryDate: string;
  readonly cardType: CardType;
  /** 8 bytes as 16 hex digits; decoding yields upper case. */
  readonly issuerId: string;
}

/** Template tag of card info. */
export const CARD_INFO_TAG = 0xe1;

/** Tags of the card info fields. */
export const CARD_INFO_FIELD_TAGS = {
  cardNumber: 0x5a,
  effectiveDate: 0x5f25,
  expiryDate: 0x5f24,
  cardType: 0xc1,
  issuerId: 0x42,
} as const;

const WHAT = 'card info';

/**
 * Encode card info as its `E1` template. Throws `IdDataError` (naming the field) for a card number
 * that is not 16 digits, an impossible date, an expiry before the effective date, an unknown card
 * type, or an issuer id that is not 16 hex digits.
 */
export function encodeCardInfo(info: CardInfo): Buffer {
  checkCardNumber(info.cardNumber);
  const effective = field('effectiveDate', () => encodeBcdDate(info.effectiveDate));
  const expiry = field('expiryDate', () => encodeBcdDate(info.expiryDate));
  checkDateOrder(info.effectiveDate, info.expiryDate);
  checkCardType(info.cardType);
  if (typeof info.issuerId !== 'string' || !/^[0-9A-Fa-f]{16}$/.test(info.issuerId)) {
    throw new IdDataError(`${WHAT}: issuerId must be 16 hex digits (8 bytes)`, 'issuerId');
  }
  const t = CARD_INFO_FIELD_TAGS;
  return encodeTlv(CARD_INFO_TAG, [
    tlv(t.cardNumber, encodeBcd(info.cardNumber)),
    tlv(t.effectiveDate, effective),
    tlv(t.expiryDate, expiry),
    tlv(t.cardType, Buffer.from([info.cardType])),
    tlv(t.issuerId, Buffer.from(info.issuerId, 'hex')),
  ]);
}

/**
 * Decode the `E1` template (exactly, see the module comment). Throws `TlvError` for malformed
 * BER-TLV and `IdDataError` for anything else that is not as §3 says (wrong template, missing,
 * repeated or unknown field, wrong field length, bad BCD, impossible date, unknown card type).
 */
export function decodeCardInfo(bytes: Uint8Array): CardInfo {
  const raw = decodeTemplate(bytes, CARD_INFO_TAG, CARD_INFO_FIELD_TAGS, WHAT);
  const cardNumber = field('cardNumber', () => {
    if (raw.cardNumber.length !== 8) throw new Error(`must be 8 bytes, got ${raw.cardNumber.length}`);
    return decodeBcd(raw.cardNumber);
  });
  const effectiveDate = field('effectiveDate', () => decodeBcdDate(raw.effectiveDate));
  const expiryDate = field('expiryDate', () => decodeBcdDate(raw.expiryDate));
  checkDateOrder(effectiveDate, expiryDate);
  if (raw.cardType.length !== 1) {
    throw new IdDataError(`${WHAT}: cardType must be 1 byte, got ${raw.cardType.length}`, 'cardType');
  }
  const cardType = raw.cardType[0]!;
  checkCardType(cardType);
  if (raw.issuerId.length !== 8) {
    throw new IdDataError(`${WHAT}: issuerId must be 8 bytes, got ${raw.issuerId.length}`, 'issuerId');
  }
  return { cardNumber, effectiveDate, expiryDate, cardType, issuerId: raw.issuerId.toString('hex').toUpperCase() };
}

/** Whether `value` is a card type byte 0 to 4. */
export function isCardType(value: unknown): value is CardType {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 4;
}

function checkCardNumber(cardNumber: string): void {
  if (typeof cardNumber !== 'string' || !/^[0-9]{16}$/.test(cardNumber)) {
    throw new IdDataError(`${WHAT}: cardNumber must be 16 decimal digits`, 'cardNumber');
  }
}

function checkCardType(value: unknown): asserts value is CardType {
  if (!isCardType(value)) throw new IdDataError(`${WHAT}: unknown card type ${String(value)}`, 'cardType');
}

// Both dates are already valid YYYYMMDD strings, so string order is date order.
function checkDateOrder(effective: string, expiry: string): void {
  if (expiry < effective) {
    throw new IdDataError(`${WHAT}: expiry date ${expiry} is before effective date ${effective}`, 'expiryDate');
  }
}

function field<T>(name: string, decode: () => T): T {
  return decodeField(WHAT, name, decode);
}
