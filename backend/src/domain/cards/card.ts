/** Lifecycle states, in the order a card normally passes through them. */
export const CARD_STATES = [
  'applied', 'approved', 'personalized', 'issued', 'active', 'blocked', 'replaced', 'revoked', 'expired',
] as const;
export type CardState = (typeof CARD_STATES)[number];

/** States a card never leaves. */
export const FINAL_STATES: ReadonlySet<CardState> = new Set(['replaced', 'revoked', 'expired']);

/** Who may drive transitions: the staff roles, plus 'system' for the station and schedulers. */
export type LifecycleRole = 'clerk' | 'supervisor' | 'auditor' | 'admin' | 'system';

/** The person (or process) asking for a transition. */
export interface LifecycleActor {
  /** Staff id or system process name, 1-100 chars. */
  readonly id: string;
  readonly roles: readonly LifecycleRole[];
}

/** Why a card changes state; codes only, so the audit log never holds free text about a person. */
export const REASON_CODES = [
  'lost', 'stolen', 'found', 'damaged', 'renewal', 'fraud', 'deceased', 'left-city', 'validity-ended', 'other',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** A card record as stored (plain). Timestamps are ISO-8601 UTC. */
export interface Card {
  readonly id: string;
  readonly cardholderId: string;
  readonly state: CardState;
  /** The card this one replaces, for replacement cards. */
  readonly replacesCardId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The old card's purse balance, to move to its replacement once offline payments can no longer arrive. */
export interface BalanceTransfer {
  readonly id: string;
  readonly fromCardId: string;
  readonly toCardId: string;
  /** ISO-8601 UTC; not before this the transfer may run. */
  readonly dueAt: string;
  readonly status: 'scheduled' | 'executed' | 'cancelled';
  readonly createdAt: string;
}
