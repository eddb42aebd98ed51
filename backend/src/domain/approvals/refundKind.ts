/**
 * The `refund` approval kind: money back to a card, requested at the desk and approved by a
 * different supervisor or admin. The kind has no executor yet: an approved refund stays an
 * approved request until clearing (which pays refunds out) defines how it is carried out.
 */
import { z } from 'zod';
import type { Approvals } from './approvals.js';

export const REFUND = 'refund';

/** Why money is given back, as a code (approvals keep no free text about a person). */
export const REFUND_REASONS = ['duplicate-charge', 'overcharge', 'service-not-rendered', 'card-fault'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** Largest refund, fen: the card purse's amount range (unsigned 32 bits). */
export const MAX_REFUND_FEN = 0xffff_ffff;

export const refundPayloadSchema = z.strictObject({
  /** The card credited, 16 decimal digits. */
  cardNumber: z.string().regex(/^[0-9]{16}$/, 'a card number is 16 decimal digits'),
  /** Fen, 1 to 2^32-1. */
  amountFen: z.number().int().min(1).max(MAX_REFUND_FEN),
  reason: z.enum(REFUND_REASONS),
  /** The transaction refunded, as the terminal or clearing names it; 1-64 of A-Z a-z 0-9 . _ : - */
  transactionRef: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).optional(),
});
export type RefundPayload = z.infer<typeof refundPayloadSchema>;

/** Defines the kind. Throws `ApprovalKindError` when it is already defined. */
export function defineRefundKind(approvals: Approvals): void {
  approvals.defineKind({
    kind: REFUND,
    description: 'refund an amount to a card (paid out by clearing once approved)',
    payload: refundPayloadSchema,
    requesterRoles: ['clerk', 'supervisor', 'admin'],
    approverRoles: ['supervisor', 'admin'],
  });
}
