/**
 * Business-rule errors of the hotlist; the HTTP layer maps each reason to a 4xx.
 */

export type HotlistRuleReason = 'CARD_NOT_LISTED' | 'REASON_NOT_FOR_ACTION' | 'INVALID_VERSION' | 'INVALID_CARD_NUMBER';

export class HotlistRuleError extends Error {
  override readonly name = 'HotlistRuleError';
  readonly reason: HotlistRuleReason;
  constructor(reason: HotlistRuleReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
