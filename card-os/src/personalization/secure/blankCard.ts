/**
 * The card manager's own persistent values (docs/personalization.md §1): what the card factory
 * writes into a blank card or PSAM, and the life-cycle state personalization moves forward.
 *
 * ```
 * cm/csn          chip serial number, 8 bytes
 * cm/profile      01 citizen card (ID + EP), 02 PSAM
 * cm/transport    transport key KT = E(MTRK, CSN) ‖ E(MTRK, NOT CSN), 16 bytes; deleted at END PERSONALIZATION
 * cm/lifecycle    01 BLANK, 0F PERSONALIZED
 * ```
 * A store without `cm/lifecycle` was personalized by other means (the test profile's direct
 * writes): the card manager treats it as personalized.
 */
import { diversifyKey } from '@citycard/protocols';
import type { PersistentStore } from '../../storage/index.js';
import { StoreTransaction } from '../../runtime/transaction.js';
import { StoreNotEmptyError } from './errors.js';

export const CARD_CSN_KEY = 'cm/csn';
export const CARD_PROFILE_KEY = 'cm/profile';
export const CARD_TRANSPORT_KEY = 'cm/transport';
export const CARD_LIFECYCLE_KEY = 'cm/lifecycle';
/** Prefix of every card manager value. */
export const CARD_MANAGER_PREFIX = 'cm/';

/** Life-cycle bytes. */
export const CARD_LIFECYCLE = { BLANK: 0x01, PERSONALIZED: 0x0f } as const;
export type Lifecycle = 'blank' | 'personalized';

/** What the blank card will become: a citizen card (ID and EP applications) or a PSAM. */
export type CardProfileKind = 'card' | 'psam';
const PROFILE_BYTE: Readonly<Record<CardProfileKind, number>> = { card: 0x01, psam: 0x02 };

/** Bytes of the chip serial number. */
export const CSN_LENGTH = 8;
/** Bytes of the transport key. */
export const TRANSPORT_KEY_LENGTH = 16;

/** The test profile's transport master key MTRK (docs/personalization.md §1; tests and demos only). */
export const TEST_MTRK = Buffer.from('5566778899AABBCCDDEEFF0011223344', 'hex');

export interface BlankCardSpec {
  /** What the card becomes. */
  readonly profile: CardProfileKind;
  /** 8 bytes, random at manufacture. */
  readonly csn: Uint8Array;
  /** KT diversified from MTRK by the CSN (see {@link transportKeyFor}), 16 bytes. */
  readonly transportKey: Uint8Array;
}

/** `KT = E(MTRK, CSN) ‖ E(MTRK, NOT CSN)`. Throws `RangeError` unless MTRK is 16 and the CSN 8 bytes. */
export function transportKeyFor(mtrk: Uint8Array, csn: Uint8Array): Buffer {
  // The diversification formula is the purse's card key formula, with the CSN as the factor.
  if (csn.length !== CSN_LENGTH) throw new RangeError(`CSN must be ${CSN_LENGTH} bytes, got ${csn.length}`);
  return diversifyKey(mtrk, csn);
}

/**
 * The card factory's step: write CSN, profile, transport key and life cycle BLANK into an empty
 * store, in one commit. Throws `RangeError` for a CSN or key of the wrong length,
 * `StoreNotEmptyError` when the store holds anything (a card is manufactured once), and what the
 * store's commit throws.
 */
export function manufactureBlankCard(store: PersistentStore, spec: BlankCardSpec): void {
  if (spec.csn.length !== CSN_LENGTH) throw new RangeError(`CSN must be ${CSN_LENGTH} bytes, got ${spec.csn.length}`);
  if (spec.transportKey.length !== TRANSPORT_KEY_LENGTH) {
    throw new RangeError(`transport key must be ${TRANSPORT_KEY_LENGTH} bytes, got ${spec.transportKey.length}`);
  }
  const count = store.keys().length;
  if (count > 0) throw new StoreNotEmptyError(count);
  new StoreTransaction(store)
    .set(CARD_CSN_KEY, spec.csn)
    .set(CARD_PROFILE_KEY, Buffer.from([PROFILE_BYTE[spec.profile]]))
    .set(CARD_TRANSPORT_KEY, spec.transportKey)
    .set(CARD_LIFECYCLE_KEY, Buffer.from([CARD_LIFECYCLE.BLANK]))
    .commit();
}

/**
 * Life cycle of the card in `store`: `blank` until END PERSONALIZATION, then `personalized`;
 * undefined when the store has no card manager state (personalized by other means, or empty).
 * Any value but `01` counts as personalized, so a damaged byte never reopens personalization.
 */
export function cardLifecycle(store: PersistentStore): Lifecycle | undefined {
  const value = store.get(CARD_LIFECYCLE_KEY);
  if (value === undefined) return undefined;
  return value.length === 1 && value[0] === CARD_LIFECYCLE.BLANK ? 'blank' : 'personalized';
}

/** Whether `store` holds a blank card (manufactured, not yet personalized). */
export function isBlankCard(store: PersistentStore): boolean {
  return cardLifecycle(store) === 'blank';
}

/** The profile the factory wrote, or undefined when the store has none (or an unknown byte). */
export function cardProfileOf(store: PersistentStore): CardProfileKind | undefined {
  const value = store.get(CARD_PROFILE_KEY);
  if (value?.length !== 1) return undefined;
  for (const [kind, byte] of Object.entries(PROFILE_BYTE)) if (byte === value[0]) return kind as CardProfileKind;
  return undefined;
}

/** The chip serial number, or undefined when the store has none. */
export function chipSerialNumber(store: PersistentStore): Buffer | undefined {
  const value = store.get(CARD_CSN_KEY);
  return value?.length === CSN_LENGTH ? value : undefined;
}
