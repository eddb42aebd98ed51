/** zod schemas of the cardholder routes: path ids, the read purpose, search, and the answers. */
import { z } from 'zod';
import { ACCESS_PURPOSES } from '../domain/cardholders/accessPurpose.js';
import { HOUSEHOLD_RELATIONS } from '../domain/cardholders/cardholder.js';

/** Cardholder ids as the registry makes them (UUIDs), or any 1-64 id characters. */
export const cardholderIdSchema = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a cardholder id has 1-64 letters, digits or hyphens');
export const cardholderParamsSchema = z.strictObject({ id: cardholderIdSchema });

/** Why personal data is read; the access log records it with who and when. */
export const purposeSchema = z.enum(ACCESS_PURPOSES);
export const readQuerySchema = z.strictObject({ purpose: purposeSchema });

/** Search: at least one of name (prefix), citizenId, household; 1-100 results, default 50. */
export const searchQuerySchema = z
  .strictObject({
    name: z.string().min(1).max(100).optional(),
    citizenId: z.string().min(1).max(18).optional(),
    household: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a household id has 1-64 letters, digits or hyphens').optional(),
    purpose: purposeSchema,
    limit: z.coerce.number().int().min(1).max(100).default(50),
  })
  .refine((q) => q.name !== undefined || q.citizenId !== undefined || q.household !== undefined, {
    message: 'give name, citizenId or household',
  });

export const cardholderViewSchema = z.object({
  id: z.string(),
  kind: z.enum(['resident', 'floating']),
  fullName: z.string(),
  citizenId: z.string().nullable(),
  birthDate: z.string(),
  phone: z.string().nullable(),
  address: z.string(),
  household: z.object({ householdId: z.string(), relation: z.enum(HOUSEHOLD_RELATIONS) }).nullable(),
  residencePermit: z.object({ number: z.string(), expiresOn: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const accessLogViewSchema = z.object({
  entries: z.array(
    z.object({ id: z.number(), cardholderId: z.string(), accessor: z.string(), purpose: purposeSchema, at: z.string() }),
  ),
});
