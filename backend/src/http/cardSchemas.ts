/** zod schemas of the card routes: path ids, transition bodies and the answers. */
import { z } from 'zod';
import { CARD_STATES, REASON_CODES } from '../domain/cards/card.js';
import { cardIdSchema } from '../domain/cards/approvalKinds.js';
import { approvalViewSchema } from './staffSchemas.js';

export const cardParamsSchema = z.strictObject({ id: cardIdSchema });

/** 16 decimal digits, as printed on the card and listed on the hotlist. */
export const cardNumberSchema = z.string().regex(/^[0-9]{16}$/, 'a card number is 16 decimal digits');

export const personalizedBodySchema = z.strictObject({ cardNumber: cardNumberSchema, reason: z.enum(REASON_CODES).optional() });

/** Revocation and replacement state why, as a reason code (never free text about a person). */
export const reasonRequiredBodySchema = z.strictObject({ reason: z.enum(REASON_CODES) });

export const cardViewSchema = z.object({
  id: z.string(),
  cardholderId: z.string(),
  state: z.enum(CARD_STATES),
  cardNumber: z.string().nullable(),
  replacesCardId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const cardListViewSchema = z.object({ cards: z.array(cardViewSchema) });

export const balanceTransferViewSchema = z.object({
  id: z.string(),
  fromCardId: z.string(),
  toCardId: z.string(),
  dueAt: z.string(),
  status: z.enum(['scheduled', 'executed', 'cancelled']),
  createdAt: z.string(),
});

/** Either done at once (`replacement`), or waiting for a second person (`approval`). */
export const replaceResultSchema = z.object({
  replacement: z.object({ oldCard: cardViewSchema, newCard: cardViewSchema, transfer: balanceTransferViewSchema }).nullable(),
  approval: approvalViewSchema.nullable(),
});

export const approvalResultSchema = z.object({ approval: approvalViewSchema });
