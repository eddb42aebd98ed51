/** The tap: one function from a presented card to a gate's or POS's decision, safe across power cuts. */
export { processTap } from './processTap.js';
export { type TapContext, type TapStore, DEFAULT_RECOVERY_WINDOW_MS } from './tapContext.js';
export type { TapOutcome } from './tapOutcome.js';
export type { TapRiskPolicy, TapRiskDecision, TapRiskRefusal } from './tapRisk.js';
export {
  type FareRule,
  type FlatFare,
  type ZonedFare,
  type FareDecision,
  type Journey,
  type PurchaseLogReader,
  checkFareRule,
  decideFare,
} from './fareRule.js';
export { cardPurchaseLog } from './purchaseLog.js';
export { settleIntents, type IntentSettlement, type RecoveredIntent, WINDOW_PASSED_DETAIL } from './settleIntents.js';
export { FareRuleError } from './tapErrors.js';
