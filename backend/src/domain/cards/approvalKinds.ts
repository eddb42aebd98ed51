/**
 * The dual-control approval kinds of the card lifecycle: card.revoke and card.reissue (replace a
 * blocked card after a loss). Requested by one person, approved by a different supervisor or
 * admin; the approval runs the transition with that approver as `approvedBy`, and the requester
 * (with the role they hold at that moment) as the actor.
 */
import { z } from 'zod';
import type { Approvals } from '../approvals/approvals.js';
import type { Role } from '../staff/roles.js';
import { REASON_CODES, type LifecycleActor } from './card.js';
import { CARD_REISSUE, CARD_REVOKE, type CardDesk } from './cardDesk.js';
import { actorFromStaff } from './transitionInput.js';

/** Card ids as the lifecycle makes them (UUIDs), or any 1-64 id characters. */
export const cardIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a card id has 1-64 letters, digits or hyphens');

export const cardActionPayloadSchema = z.strictObject({ cardId: cardIdSchema, reason: z.enum(REASON_CODES) });
export type CardActionPayload = z.infer<typeof cardActionPayloadSchema>;

export interface CardApprovalDeps {
  readonly desk: CardDesk;
  /** The current role of an enabled staff member, undefined for unknown or disabled ones. */
  readonly roleOf: (staffId: string) => Role | undefined;
}

/** @throws ApprovalKindError when the kinds are already defined. */
export function defineCardApprovalKinds(approvals: Approvals, deps: CardApprovalDeps): void {
  // A requester who left or lost the role meanwhile holds no role, so the lifecycle refuses.
  const requester = (id: string): LifecycleActor => {
    const role = deps.roleOf(id);
    return { id, roles: role === undefined ? [] : [role] };
  };
  approvals.defineKind({
    kind: CARD_REVOKE,
    description: 'revoke a card (final: the card is listed and never works again)',
    payload: cardActionPayloadSchema,
    requesterRoles: ['supervisor', 'admin'],
    approverRoles: ['supervisor', 'admin'],
    execute: (p, { approval, approver }) =>
      deps.desk.revoke(p.cardId, { actor: requester(approval.requestedBy), approvedBy: actorFromStaff(approver), reason: p.reason }),
  });
  approvals.defineKind({
    kind: CARD_REISSUE,
    description: 'reissue a blocked (lost or stolen) card: replace it with a new card and move its balance',
    payload: cardActionPayloadSchema,
    requesterRoles: ['clerk', 'supervisor', 'admin'],
    approverRoles: ['supervisor', 'admin'],
    execute: (p, { approval, approver }) =>
      deps.desk.replace(p.cardId, { actor: requester(approval.requestedBy), approvedBy: actorFromStaff(approver), reason: p.reason }),
  });
}
