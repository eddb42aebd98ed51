/**
 * Errors of card personalization, typed by cause.
 */

/** The store already holds a personalized application: personalization runs once per card. */
export class AlreadyPersonalizedError extends Error {
  override readonly name: string = 'AlreadyPersonalizedError';
  constructor(readonly application: string) {
    super(`the ${application} application is already personalized; refusing to personalize it again`);
  }
}

/** Personalization data was refused, or the CA's certificate does not fit the card. */
export class PersonalizationError extends Error {
  override readonly name: string = 'PersonalizationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
