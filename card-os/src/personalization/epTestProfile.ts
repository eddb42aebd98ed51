/**
 * EP personalization under the test profile of card interface spec §7 (tests and demos only, never
 * for real cards: the master keys below are public): issuer 0000000000000001, app version 01, key
 * version 01, the four card keys diversified here from the §7 master keys by the card number, the
 * city's default limits and an initial balance, in one commit. It writes the same store keys as the
 * secured personalization (applications/ep/epStore.ts), so the EP cannot tell the two apart.
 *
 * Default limits (fen): max balance 100000 (1,000.00 yuan, the usual ceiling of an anonymous
 * city-card purse) and max single purchase 50000 (500.00 yuan).
 *
 * ```ts
 * if (!isEpPersonalized(store)) personalizeEpTestProfile(store, { cardNumber: '1000000000000001', balance: 10000 });
 * ```
 */
import { CARD_TYPE, diversifyKey, encodeBcd, formatDateTime, fromHex } from '@citycard/protocols';
import { EP_KEY_NAMES, type EpKeyName } from '../applications/ep/epKeys.js';
import { stageEpPersonalization } from '../applications/ep/epPersonalization.js';
import type { EpIssuerData } from '../applications/ep/issuerData.js';
import { StoreTransaction } from '../runtime/transaction.js';
import type { PersistentStore } from '../storage/index.js';
import { PersonalizationError } from './errors.js';

/** The fixed values of the EP test profile (spec §7). */
export const EP_TEST_PROFILE = {
  issuerId: '0000000000000001',
  appVersion: 0x01,
  keyVersion: 0x01,
  validityYears: 10,
  maxBalance: 100_000,
  maxSinglePurchase: 50_000,
  /** Issuer master keys (hex), public test values. */
  masterKeys: {
    MPK: '11223344556677888877665544332211',
    MLK: '2233445566778899AABBCCDDEEFF0011',
    MTK: '33445566778899AABBCCDDEEFF001122',
    MAMK: '445566778899AABBCCDDEEFF00112233',
  },
} as const;

/** Which master key each card key is diversified from (spec §4.1). */
const MASTER_OF: Readonly<Record<EpKeyName, keyof typeof EP_TEST_PROFILE.masterKeys>> = {
  DPK: 'MPK',
  DLK: 'MLK',
  DTK: 'MTK',
  DAMK: 'MAMK',
};

export interface EpTestProfileOptions {
  /** 16 digits: EF 0x15's card number and the diversification factor. */
  readonly cardNumber: string;
  /** Balance at issue in fen, 0 to the max balance. */
  readonly balance: number;
  /** The clock: the effective date is this day; default now. */
  readonly now?: Date;
  /** IANA zone of "today"; default the process's local zone. */
  readonly timeZone?: string;
  /** `YYYYMMDD`; default the effective date ten years later (29 February becomes the 28th). */
  readonly expiryDate?: string;
  /** Card type byte; default adult (00). */
  readonly cardType?: number;
  /** Fen, 0 to 2^32-1; default 100000. */
  readonly maxBalance?: number;
  /** Fen, 0 to 2^32-1; default 50000. */
  readonly maxSinglePurchase?: number;
}

/**
 * Personalize the EP application of `store` under the test profile, in one commit; returns the
 * EF 0x15 data written. Throws `AlreadyPersonalizedError` when the store already holds the EP
 * application (nothing changes), `PersonalizationError` for a card number that is not 16 digits,
 * dates, limits or a balance the EP refuses, and what the store's commit throws (`StorageError`).
 */
export function personalizeEpTestProfile(store: PersistentStore, options: EpTestProfileOptions): EpIssuerData {
  if (!/^[0-9]{16}$/.test(options.cardNumber)) {
    throw new PersonalizationError(`a card number is 16 decimal digits, got ${JSON.stringify(options.cardNumber)}`);
  }
  let effectiveDate: string;
  try {
    effectiveDate = formatDateTime(options.now ?? new Date(), options.timeZone).date;
  } catch (err) {
    throw new PersonalizationError("cannot tell today's date", { cause: err });
  }
  const issuer: EpIssuerData = {
    issuerId: EP_TEST_PROFILE.issuerId,
    appVersion: EP_TEST_PROFILE.appVersion,
    cardNumber: options.cardNumber,
    effectiveDate,
    expiryDate: options.expiryDate ?? addYears(effectiveDate, EP_TEST_PROFILE.validityYears),
    cardType: options.cardType ?? CARD_TYPE.adult,
  };
  const factor = encodeBcd(options.cardNumber);
  const keys = {} as Record<EpKeyName, Buffer>;
  for (const name of EP_KEY_NAMES) {
    keys[name] = diversifyKey(fromHex(EP_TEST_PROFILE.masterKeys[MASTER_OF[name]]), factor);
  }
  const tx = new StoreTransaction(store);
  stageEpPersonalization(store, tx, {
    issuer,
    limits: {
      maxBalance: options.maxBalance ?? EP_TEST_PROFILE.maxBalance,
      maxSinglePurchase: options.maxSinglePurchase ?? EP_TEST_PROFILE.maxSinglePurchase,
    },
    keyVersion: EP_TEST_PROFILE.keyVersion,
    keys,
    initialBalance: options.balance,
  });
  tx.commit();
  return issuer;
}

function addYears(yyyymmdd: string, years: number): string {
  const year = String(Number(yyyymmdd.slice(0, 4)) + years).padStart(4, '0');
  const monthDay = yyyymmdd.slice(4) === '0229' ? '0228' : yyyymmdd.slice(4);
  return `${year}${monthDay}`;
}
