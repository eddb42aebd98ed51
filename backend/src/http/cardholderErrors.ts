/**
 * HTTP answers of the cardholder, card and hotlist domain errors, each with a stable code.
 * Route handlers of the cardholder and card modules run through {@link withCardErrors}; the same
 * classes are mapped on the registry (status only) for errors raised elsewhere, e.g. when the
 * generic approval route executes a card revocation.
 */
import {
  CardholderNotFoundError,
  CardholderValidationError,
  DuplicateCardholderError,
  HouseholdHeadExistsError,
} from '../domain/cardholders/errors.js';
import {
  CardNotFoundError,
  CardNumberTakenError,
  CardholderHasLiveCardError,
  DualControlRequiredError,
  InvalidCardNumberError,
  InvalidTransitionError,
  TransitionNotPermittedError,
} from '../domain/cards/errors.js';
import { HotlistRuleError } from '../domain/hotlist/errors.js';
import { AppError } from './appError.js';
import type { RouteModule } from './context.js';

type ErrorClass = abstract new (...args: never[]) => Error;

const TABLE: readonly [ErrorClass, number, string][] = [
  [CardholderValidationError, 400, 'VALIDATION_FAILED'],
  [CardholderNotFoundError, 404, 'CARDHOLDER_NOT_FOUND'],
  [DuplicateCardholderError, 409, 'CARDHOLDER_EXISTS'],
  [HouseholdHeadExistsError, 409, 'HOUSEHOLD_HEAD_EXISTS'],
  [CardNotFoundError, 404, 'CARD_NOT_FOUND'],
  [InvalidTransitionError, 409, 'INVALID_TRANSITION'],
  [TransitionNotPermittedError, 403, 'TRANSITION_NOT_PERMITTED'],
  [DualControlRequiredError, 403, 'DUAL_CONTROL_REQUIRED'],
  [CardholderHasLiveCardError, 409, 'CARDHOLDER_HAS_LIVE_CARD'],
  [InvalidCardNumberError, 400, 'INVALID_CARD_NUMBER'],
  [CardNumberTakenError, 409, 'CARD_NUMBER_TAKEN'],
];

/** The AppError for a cardholder or card domain error, undefined for anything else. */
export function cardAppError(err: unknown): AppError | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err instanceof HotlistRuleError) {
    return new AppError(err.reason === 'CARD_NOT_LISTED' ? 409 : 400, err.reason, err.message, { cause: err });
  }
  const hit = TABLE.find(([type]) => err instanceof type);
  if (hit === undefined) return undefined;
  // Issues name the field and the rule, never the value given.
  const details = err instanceof CardholderValidationError ? { issues: err.issues } : undefined;
  return new AppError(hit[1], hit[2], err.message, { cause: err, details });
}

/** Runs a handler and turns its domain errors into AppErrors. */
export async function withCardErrors<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw cardAppError(err) ?? err;
  }
}

/** Statuses of the same errors when they surface outside the card route handlers. */
export const cardErrorStatuses: RouteModule = (registry) => {
  for (const [type, status] of TABLE) registry.mapError(type, status);
};
