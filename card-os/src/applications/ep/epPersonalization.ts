/**
 * Staging a personalized EP application: EF 0x15, EF 0x12, the four card keys, the initial purse
 * record (counters 0) and lifecycle 07. The test profile (personalization/epTestProfile.ts) uses
 * `stageEpPersonalization`; the secured personalization of a blank card, whose keys arrive one at
 * a time with PUT KEY, writes the same store keys with `stageEpKey` and finishes with
 * `stageEpActivation`.
 */
import { AlreadyPersonalizedError, PersonalizationError } from '../../personalization/errors.js';
import type { StoreTransaction } from '../../runtime/transaction.js';
import type { PersistentStore } from '../../storage/index.js';
import { EP_KEY_NAMES, stageEpKey, type EpKeyName } from './epKeys.js';
import { EP_ISSUER_KEY, EP_LIMITS_KEY, isEpPersonalized, stageEpLifecycle, stagePurseState } from './epStore.js';
import { encodeEpIssuerData, type EpIssuerData } from './issuerData.js';
import { decodePurseLimits, encodePurseLimits, type PurseLimits } from './purseLimits.js';

export interface EpPersonalization {
  readonly issuer: EpIssuerData;
  readonly limits: PurseLimits;
  /** Key version of all four keys, 1 to 255. */
  readonly keyVersion: number;
  /** The card's diversified keys, 16 bytes each. */
  readonly keys: Readonly<Record<EpKeyName, Uint8Array>>;
  /** Balance at issue, 0 to the max balance; default 0. */
  readonly initialBalance?: number;
}

/**
 * Stage the whole EP personalization into `tx` (the caller commits). Throws
 * `AlreadyPersonalizedError` when `store` already holds anything of the EP application;
 * `PersonalizationError` (with the cause) for issuer data or limits that do not encode, a key or
 * key version out of range, or an initial balance outside 0 to the max balance.
 */
export function stageEpPersonalization(store: PersistentStore, tx: StoreTransaction, data: EpPersonalization): void {
  if (isEpPersonalized(store)) throw new AlreadyPersonalizedError('EP');
  const issuer = refuse('EF 0x15', () => encodeEpIssuerData(data.issuer));
  const limits = refuse('EF 0x12', () => encodePurseLimits(data.limits));
  tx.set(EP_ISSUER_KEY, issuer);
  tx.set(EP_LIMITS_KEY, limits);
  for (const name of EP_KEY_NAMES) refuse(name, () => stageEpKey(tx, name, data.keyVersion, data.keys[name]));
  stageEpActivation(tx, data.initialBalance ?? 0);
}

/**
 * Stage the purse record (the balance, both counters 0) and lifecycle 07: the last step of a
 * personalization, once EF 0x12 is written (committed, or staged in `tx`). Throws
 * `PersonalizationError` when EF 0x12 is missing or not 8 bytes, or for a balance outside 0 to its
 * max balance.
 */
export function stageEpActivation(tx: StoreTransaction, initialBalance = 0): void {
  const limits = tx.get(EP_LIMITS_KEY);
  if (limits === undefined) throw new PersonalizationError('EF 0x12 (purse limits) must be written before activation');
  const { maxBalance } = refuse('EF 0x12', () => decodePurseLimits(limits));
  if (!Number.isInteger(initialBalance) || initialBalance < 0 || initialBalance > maxBalance) {
    throw new PersonalizationError(`initial balance must be an integer 0 to ${maxBalance}, got ${initialBalance}`);
  }
  stagePurseState(tx, { balance: initialBalance, onlineCounter: 0, offlineCounter: 0 });
  stageEpLifecycle(tx, 'operational');
}

function refuse<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new PersonalizationError(`invalid ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
