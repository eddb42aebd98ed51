import type { CardState, LifecycleRole } from './card.js';
import { FINAL_STATES } from './card.js';

/** One allowed edge of the lifecycle state machine. */
export interface Transition {
  readonly from: CardState;
  readonly to: CardState;
  /** Past-tense event name, recorded as `card.<event>` in the audit log. */
  readonly event: string;
  /** Any one of these roles may ask for it. */
  readonly roles: readonly LifecycleRole[];
  /** A second person (supervisor or admin, not the actor) must approve. */
  readonly dualControl: boolean;
}

const STAFF: readonly LifecycleRole[] = ['clerk', 'supervisor', 'admin'];
const SENIOR: readonly LifecycleRole[] = ['supervisor', 'admin'];

/** Every allowed transition; anything not listed is refused. Mirrored in docs/card-lifecycle.md. */
export const TRANSITIONS: readonly Transition[] = [
  { from: 'applied', to: 'approved', event: 'approved', roles: SENIOR, dualControl: false },
  // The personalization station job runs as 'system'.
  { from: 'approved', to: 'personalized', event: 'personalized', roles: [...STAFF, 'system'], dualControl: false },
  { from: 'personalized', to: 'issued', event: 'issued', roles: STAFF, dualControl: false },
  { from: 'issued', to: 'active', event: 'activated', roles: STAFF, dualControl: false },
  { from: 'active', to: 'blocked', event: 'blocked', roles: STAFF, dualControl: false },
  { from: 'blocked', to: 'active', event: 'unblocked', roles: STAFF, dualControl: false },
  // The holder hands in a working card (damaged, renewal): nothing can be lost, one person suffices.
  { from: 'active', to: 'replaced', event: 'replaced', roles: STAFF, dualControl: false },
  // Reissue after loss creates value from a card nobody can show: second person required.
  { from: 'blocked', to: 'replaced', event: 'replaced', roles: STAFF, dualControl: true },
  { from: 'active', to: 'revoked', event: 'revoked', roles: SENIOR, dualControl: true },
  { from: 'blocked', to: 'revoked', event: 'revoked', roles: SENIOR, dualControl: true },
  { from: 'active', to: 'expired', event: 'expired', roles: ['system', 'admin'], dualControl: false },
  { from: 'blocked', to: 'expired', event: 'expired', roles: ['system', 'admin'], dualControl: false },
];

/** Roles that may give the second approval of a dual-control transition. */
export const APPROVER_ROLES: readonly LifecycleRole[] = SENIOR;

export function findTransition(from: CardState, to: CardState): Transition | undefined {
  return TRANSITIONS.find((t) => t.from === from && t.to === to);
}

/** Human-readable reason why from -> to is not a transition (call only when findTransition is undefined). */
export function refusalReason(from: CardState, to: CardState): string {
  if (FINAL_STATES.has(from)) return `a ${from} card is final and never changes state`;
  if (from === to) return `the card is already ${to}`;
  const next = TRANSITIONS.filter((t) => t.from === from).map((t) => t.to);
  return `from ${from} a card can only become ${next.join(' or ')}`;
}
