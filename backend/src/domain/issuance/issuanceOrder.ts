/**
 * Builds the snapshot a station writes to a card from the register: card info (number, dates,
 * type, issuer), the cardholder as the card shows them, and the purse limits.
 */
import type { Cardholder } from '../cardholders/cardholder.js';
import { IssuanceDataError } from './errors.js';
import type { IssuanceOrder } from './issuanceJob.js';

export interface OrderSettings {
  /** 16 hex digits. */
  readonly issuerId: string;
  /** Years a card is valid, 1-20. */
  readonly validityYears: number;
  /** Fen. */
  readonly maxBalance: number;
  /** Fen. */
  readonly maxSinglePurchase: number;
}

export const DEFAULT_ORDER_SETTINGS: OrderSettings = {
  issuerId: '0000000000000001',
  validityYears: 10,
  maxBalance: 100_000,
  maxSinglePurchase: 50_000,
};

const CARD_ID_TEXT = /^[\x21-\x7e]{1,32}$/;
const MAX_NAME_BYTES = 255;

const compact = (isoDate: string): string => isoDate.slice(0, 10).replaceAll('-', '');

/** `YYYYMMDD` of the day before the same date `years` later (UTC). */
function expiryAfter(today: Date, years: number): string {
  const end = new Date(Date.UTC(today.getUTCFullYear() + years, today.getUTCMonth(), today.getUTCDate() - 1));
  return compact(end.toISOString());
}

/**
 * The order for card number `cardNumber` of `holder`, issued `today`. Floating population cards
 * are type 4, carry the residence permit number and end with the permit.
 * @throws IssuanceDataError when the name or identity number cannot go on a card.
 */
export function buildOrder(
  holder: Cardholder,
  cardNumber: string,
  today: Date,
  settings: OrderSettings,
  cardType?: 0 | 1 | 2 | 3 | 4,
): IssuanceOrder {
  const floating = holder.kind === 'floating';
  const idText = holder.citizenId ?? holder.residencePermit?.number ?? '';
  if (!CARD_ID_TEXT.test(idText)) throw new IssuanceDataError('the identity number cannot be written to a card (1-32 printable characters, no spaces)');
  const nameBytes = Buffer.byteLength(holder.fullName, 'utf8');
  // eslint-disable-next-line no-control-regex
  if (nameBytes < 1 || nameBytes > MAX_NAME_BYTES || /[\u0000-\u001f\u007f]/.test(holder.fullName)) {
    throw new IssuanceDataError(`the name cannot be written to a card (1-${MAX_NAME_BYTES} UTF-8 bytes, no control characters)`);
  }
  let expiryDate = expiryAfter(today, settings.validityYears);
  const permitEnd = holder.residencePermit === null ? undefined : compact(holder.residencePermit.expiresOn);
  if (floating && permitEnd !== undefined && permitEnd < expiryDate) expiryDate = permitEnd;
  return {
    cardInfo: {
      cardNumber,
      effectiveDate: compact(today.toISOString()),
      expiryDate,
      cardType: cardType ?? (floating ? 4 : 0),
      issuerId: settings.issuerId,
    },
    cardholder: {
      name: holder.fullName,
      citizenId: idText,
      dateOfBirth: compact(holder.birthDate),
      residency: floating ? 'temporary' : 'permanent',
    },
    purse: { maxBalance: settings.maxBalance, maxSinglePurchase: settings.maxSinglePurchase },
  };
}
