/**
 * How a personalization run fails. Every failure is a `PersonalizationFailedError` naming the
 * step, carrying the APDU trail so far and, in `cause`, the error by cause: `TransportError`,
 * `CardProtocolError` (with the card's status word), `BusinessRuleError` `CARD_NOT_BLANK`,
 * `CryptoError` (the card does not know the transport key; the HSM certified another key), or
 * the HSM client's own error. The card is left blank (a later run starts over) unless the step
 * was END PERSONALIZATION and the answer was lost.
 */
import type { ApduTrailEntry } from '../channel/apduTrail.js';

/** Reasons of the business rules personalization checks. */
export const PERSONALIZATION_RULE = {
  /** The card answered INITIALIZE PERSONALIZATION with `6985`: it is not blank. */
  CARD_NOT_BLANK: 'CARD_NOT_BLANK',
} as const;

export class PersonalizationFailedError extends Error {
  override readonly name: string = 'PersonalizationFailedError';
  constructor(
    /** The step that failed, e.g. `PUT KEY 02`. */
    readonly step: string,
    /** Every exchange of the run, the failed one included. */
    readonly trail: readonly ApduTrailEntry[],
    options: { cause: unknown },
  ) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`personalization failed at ${step}: ${why}`, options);
  }
}
