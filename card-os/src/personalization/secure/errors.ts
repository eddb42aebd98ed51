/**
 * Errors of the card factory's step, typed by cause. (Commands of a personalization session
 * answer status words instead: see the command files.)
 */

/** A blank card is manufactured on empty memory only; this store already holds values. */
export class StoreNotEmptyError extends Error {
  override readonly name: string = 'StoreNotEmptyError';
  constructor(readonly keyCount: number) {
    super(`the store holds ${keyCount} values: a blank card is manufactured on empty memory only`);
  }
}
