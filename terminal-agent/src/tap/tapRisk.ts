/**
 * What the tap asks of the terminal's risk policy (issue 5, contract 2), under the names the tap
 * and its callers use: the same types as risk/riskPolicy.ts.
 */
import type { RiskDecision, RiskPolicy, RiskRefusal } from '../risk/riskPolicy.js';

/** Why the risk policy refuses a purchase. */
export type TapRiskRefusal = RiskRefusal;

/** `blockCard`: block the purse with the PSAM's maintenance MAC before declining. */
export type TapRiskDecision = RiskDecision;

export type TapRiskPolicy = RiskPolicy;
