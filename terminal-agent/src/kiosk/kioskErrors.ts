/**
 * What the kiosk tells the citizen when a flow cannot go on: one stable code per result screen,
 * with the HTTP status the kiosk API answers it with. `kioskErrorOf` turns what the card, the
 * identity checks, the purse flows and the backend throw into one of these. Messages are safe to
 * show and never carry a PIN.
 */
import { CommandParameterError } from '@citycard/protocols';
import { BusinessRuleError, CardAbsentError, CardProtocolError, CardRemovedError, TransportError } from '../errors.js';
import { ID_RULE, IdentityCryptoError, WrongPinError } from '../id/errors.js';
import { AssertionRejectedError } from './identityAssertion.js';
import { BackendRefusedError, BackendUnreachableError } from './kioskBackend.js';

/** Every code, with the HTTP status of its answer. */
export const KIOSK_ERROR_STATUS = {
  /** The API call does not fit the session's phase (no card, PIN not entered yet, ...). */
  NO_SESSION: 409,
  /** The request itself is malformed (body, header, amount format). */
  BAD_REQUEST: 400,
  /** The card left the slot, or was never there when an operation needed it. */
  CARD_REMOVED: 410,
  /** The session ended after a time without use. */
  SESSION_TIMEOUT: 410,
  /** The card answers but not as the protocol says, or the reader failed. */
  CARD_UNREADABLE: 422,
  /** The card has no ID application. */
  NOT_A_CITIZEN_CARD: 422,
  /** Certificate or card authentication failed offline: not a genuine city card. */
  CARD_NOT_GENUINE: 403,
  /** The ID application or the purse is blocked (or locked). */
  CARD_BLOCKED: 403,
  /** The card is on the hotlist, or the city no longer has it active (lost, stolen, revoked). */
  CARD_HOTLISTED: 403,
  /** A PIN that is not 4 to 8 digits; nothing was sent to the card. */
  PIN_FORMAT: 400,
  /** The card refused the PIN; `triesLeft` tries remain. */
  PIN_WRONG: 403,
  /** No PIN try is left. */
  PIN_BLOCKED: 403,
  /** The city's systems cannot be reached: offline services only. */
  OFFLINE: 503,
  /** The backend refused to vouch for the cardholder (other than a card no longer active). */
  IDENTITY_REFUSED: 403,
  /** The backend's assertion is no longer fresh: prove identity again. */
  ASSERTION_EXPIRED: 401,
  /** This kiosk has no load custodian configured. */
  TOPUP_UNAVAILABLE: 503,
  /** An amount the kiosk does not offer. */
  TOPUP_AMOUNT: 400,
  /** Nothing was loaded: `reason` says why (purse DECLINE_REASON). */
  TOPUP_DECLINED: 422,
  /** The answer to the credit was lost and recovery could not tell: staff must check. */
  TOPUP_UNRESOLVED: 500,
  INTERNAL: 500,
} as const;

export type KioskErrorCode = keyof typeof KIOSK_ERROR_STATUS;

export interface KioskErrorDetails {
  /** PIN_WRONG: tries left, 1 to 15. */
  readonly triesLeft?: number;
  /** TOPUP_DECLINED, CARD_NOT_GENUINE, IDENTITY_REFUSED: the underlying reason code. */
  readonly reason?: string;
}

export class KioskError extends Error {
  override readonly name: string = 'KioskError';
  readonly code: KioskErrorCode;
  readonly details: KioskErrorDetails;
  constructor(code: KioskErrorCode, message: string, details: KioskErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return KIOSK_ERROR_STATUS[this.code];
  }
}

/** The KioskError for anything a kiosk flow throws; unknown errors become INTERNAL (cause kept). */
export function kioskErrorOf(err: unknown): KioskError {
  if (err instanceof KioskError) return err;
  if (err instanceof WrongPinError) {
    return new KioskError('PIN_WRONG', 'wrong PIN', { triesLeft: err.triesLeft }, { cause: err });
  }
  if (err instanceof BusinessRuleError) return businessError(err);
  if (err instanceof CardRemovedError || err instanceof CardAbsentError) {
    return new KioskError('CARD_REMOVED', 'the card was taken out', {}, { cause: err });
  }
  if (err instanceof TransportError || err instanceof CardProtocolError) {
    return new KioskError('CARD_UNREADABLE', 'the card could not be read', {}, { cause: err });
  }
  if (err instanceof IdentityCryptoError) {
    return new KioskError('CARD_NOT_GENUINE', 'the card is not a genuine city card', { reason: err.reason }, { cause: err });
  }
  if (err instanceof CommandParameterError && err.parameter === 'pin') {
    return new KioskError('PIN_FORMAT', 'a PIN is 4 to 8 digits', {}, { cause: err });
  }
  if (err instanceof BackendUnreachableError) {
    return new KioskError('OFFLINE', 'the city systems cannot be reached', {}, { cause: err });
  }
  if (err instanceof BackendRefusedError) return refusedError(err);
  if (err instanceof AssertionRejectedError) {
    return new KioskError('IDENTITY_REFUSED', 'the city systems did not confirm your identity', { reason: err.reason }, { cause: err });
  }
  return new KioskError('INTERNAL', 'the kiosk failed', {}, { cause: err });
}

function businessError(err: BusinessRuleError): KioskError {
  switch (err.reason) {
    case ID_RULE.PIN_BLOCKED:
      return new KioskError('PIN_BLOCKED', 'the PIN is blocked', {}, { cause: err });
    case ID_RULE.ID_APPLICATION_NOT_FOUND:
      return new KioskError('NOT_A_CITIZEN_CARD', 'this is not a citizen card', {}, { cause: err });
    case ID_RULE.ID_APPLICATION_BLOCKED:
      return new KioskError('CARD_BLOCKED', 'the card is blocked', {}, { cause: err });
    default:
      return new KioskError('INTERNAL', 'the kiosk failed', { reason: err.reason }, { cause: err });
  }
}

function refusedError(err: BackendRefusedError): KioskError {
  if (err.code === 'CARD_NOT_ACTIVE') {
    return new KioskError('CARD_HOTLISTED', 'the city no longer has this card active', { reason: err.code }, { cause: err });
  }
  if (err.code === 'ASSERTION_EXPIRED') {
    return new KioskError('ASSERTION_EXPIRED', 'please prove your identity again', {}, { cause: err });
  }
  if (err.status === 401) {
    // The kiosk's own terminal credential was refused: to the citizen, the service is out.
    return new KioskError('OFFLINE', 'the city systems do not accept this kiosk', { reason: err.code }, { cause: err });
  }
  return new KioskError('IDENTITY_REFUSED', 'the city systems did not confirm your identity', { reason: err.code }, { cause: err });
}
