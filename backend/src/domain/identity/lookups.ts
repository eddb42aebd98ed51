/**
 * What identity verification needs from the card lifecycle and the cardholder registry, as
 * functions the composition root supplies (the card lifecycle is engineer B's domain).
 */

/** The lifecycle state of the card with this number (`'active'`, `'blocked'`, …), undefined if unknown. */
export type CardStatusLookup = (cardNumber: string) => string | undefined | Promise<string | undefined>;

/** The cardholder a card belongs to. */
export interface CardholderIdentity {
  readonly id: string;
  /** The name to show at the service point. */
  readonly name: string;
}

/** The holder of the card with this number, undefined if unknown. */
export type CardholderLookup = (
  cardNumber: string,
) => CardholderIdentity | undefined | Promise<CardholderIdentity | undefined>;
