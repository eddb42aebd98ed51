import type { CardState } from './card.js';

/** The state machine has no edge from -> to. Maps to HTTP 409. */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  constructor(
    readonly from: CardState,
    readonly to: CardState,
    readonly reason: string,
  ) {
    super(`card cannot go from ${from} to ${to}: ${reason}`);
  }
}

/** The actor holds none of the roles the transition needs. Maps to HTTP 403. */
export class TransitionNotPermittedError extends Error {
  override readonly name = 'TransitionNotPermittedError';
  constructor(
    /** null when the card is being created (application). */
    readonly from: CardState | null,
    readonly to: CardState,
    readonly requiredRoles: readonly string[],
  ) {
    super(`going from ${from ?? '(new card)'} to ${to} needs one of the roles ${requiredRoles.join(', ')}`);
  }
}

/** A dual-control transition came without a valid second approval. Maps to HTTP 403. */
export class DualControlRequiredError extends Error {
  override readonly name = 'DualControlRequiredError';
  constructor(
    readonly from: CardState,
    readonly to: CardState,
    readonly reason: string,
  ) {
    super(`going from ${from} to ${to} needs dual control: ${reason}`);
  }
}

export class CardNotFoundError extends Error {
  override readonly name = 'CardNotFoundError';
  constructor(readonly cardId: string) {
    super(`card ${cardId} not found`);
  }
}

/** A cardholder may hold one card that is not replaced, revoked or expired. Maps to HTTP 409. */
export class CardholderHasLiveCardError extends Error {
  override readonly name = 'CardholderHasLiveCardError';
  constructor(
    readonly cardholderId: string,
    readonly liveCardId: string,
  ) {
    super(`cardholder ${cardholderId} already has card ${liveCardId} in use or in issuance`);
  }
}

/** A card number must be 16 decimal digits. Maps to HTTP 400. */
export class InvalidCardNumberError extends Error {
  override readonly name = 'InvalidCardNumberError';
  constructor() {
    super('a card number must be 16 decimal digits');
  }
}

/** Another card already holds this number, or the card already has one. Maps to HTTP 409. */
export class CardNumberTakenError extends Error {
  override readonly name = 'CardNumberTakenError';
  constructor(readonly cardId: string) {
    super(`the card number cannot be given to card ${cardId}: it is taken, or the card already has a number`);
  }
}
