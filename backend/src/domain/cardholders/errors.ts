/** One problem found in cardholder input: where and what. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/** Cardholder input failed validation; issues say which fields and why (no values echoed). */
export class CardholderValidationError extends Error {
  override readonly name = 'CardholderValidationError';
  constructor(
    readonly issues: readonly InputIssue[],
    options?: ErrorOptions,
  ) {
    super(`invalid cardholder input: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, options);
  }
}

export class CardholderNotFoundError extends Error {
  override readonly name = 'CardholderNotFoundError';
  constructor(readonly cardholderId: string) {
    super(`cardholder ${cardholderId} not found`);
  }
}

/** The citizen ID or residence permit is already registered to another cardholder. */
export class DuplicateCardholderError extends Error {
  override readonly name = 'DuplicateCardholderError';
  constructor(readonly field: 'citizenId' | 'residencePermit', options?: ErrorOptions) {
    super(`a cardholder with this ${field} is already registered`, options);
  }
}

/** A household already has a head; a second one is refused. */
export class HouseholdHeadExistsError extends Error {
  override readonly name = 'HouseholdHeadExistsError';
  constructor(readonly householdId: string) {
    super(`household ${householdId} already has a head`);
  }
}
