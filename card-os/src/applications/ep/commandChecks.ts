/**
 * Checks shared by the EP command handlers: response length against Le, MAC comparison, and the
 * state every purse transaction needs (operational lifecycle, purse record, limits).
 */
import { timingSafeEqual } from 'node:crypto';
import { SW, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { PersistentStore } from '../../storage/index.js';
import { storedEpLifecycle, storedPurseState, type PurseState } from './epStore.js';
import { storedPurseLimits, type PurseLimits } from './purseLimits.js';

/**
 * Throws `CardError` `6700` unless the command carries exactly `dataLength` data bytes and either
 * no Le or an Le (00 = 256) of at least `responseLength`.
 */
export function checkLengths(cmd: CommandApdu, dataLength: number, responseLength: number): void {
  if (cmd.data.length !== dataLength) throw new CardError(SW.WRONG_LENGTH);
  if (cmd.le !== undefined && cmd.le < responseLength) throw new CardError(SW.WRONG_LENGTH);
}

/** Constant-time comparison of a received MAC with the expected one (both 4 bytes). */
export function macMatches(received: Uint8Array, expected: Uint8Array): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}

/** What INITIALIZE needs of a purse ready for transactions. */
export interface OpenPurse {
  readonly state: PurseState;
  readonly limits: PurseLimits;
}

/**
 * The purse record and limits of an operational EP. Throws `CardError` `6A81` when the
 * application is blocked, `6985` when it is not personalized, `6581` for a damaged stored value.
 */
export function openPurse(store: PersistentStore): OpenPurse {
  const lifecycle = storedEpLifecycle(store);
  if (lifecycle === 'blocked') throw new CardError(SW.APPLICATION_BLOCKED);
  const state = storedPurseState(store);
  const limits = storedPurseLimits(store);
  if (lifecycle === undefined || state === undefined || limits === undefined) {
    throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'the purse is not personalized');
  }
  return { state, limits };
}
