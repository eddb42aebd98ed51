/** Errors of the tap flow that are the caller's: a fare rule that cannot price a journey. */

/** The fare rule is malformed: the message names the field (amount, zone, table, window). */
export class FareRuleError extends Error {
  override readonly name: string = 'FareRuleError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`fare rule: ${field}: ${message}`);
    this.field = field;
  }
}
