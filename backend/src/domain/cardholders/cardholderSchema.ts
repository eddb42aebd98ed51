import { z } from 'zod';
import { HOUSEHOLD_RELATIONS } from './cardholder.js';
import { citizenIdProblem } from './citizenId.js';

// Letters and combining marks of any script, words joined by one space, hyphen, apostrophe or
// middle dot (Uygur and transliterated names such as "阿依古丽·买买提").
const NAME_PATTERN = /^[\p{L}\p{M}]+(?:[ '’\-·・.][\p{L}\p{M}]+)*\.?$/u;

/** 1-100 Unicode code points of letters and name punctuation, stored exactly as given. */
export const fullNameSchema = z.string().superRefine((s, ctx) => {
  const length = [...s].length;
  if (length < 1 || length > 100) ctx.addIssue({ code: 'custom', message: 'must be 1-100 characters' });
  else if (!NAME_PATTERN.test(s)) {
    ctx.addIssue({ code: 'custom', message: 'must be letters, words joined by a space, hyphen, apostrophe or middle dot' });
  }
});

/** 18-character PRC citizen ID with a valid birth date and MOD 11-2 check character; 'x' is read as 'X'. */
export const citizenIdSchema = z
  .string()
  .transform((s) => s.toUpperCase())
  .superRefine((s, ctx) => {
    const problem = citizenIdProblem(s);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A calendar date YYYY-MM-DD. */
export const dateSchema = z.iso.date();

/** '+', then digits with optional spaces or hyphens; 5-20 characters. */
export const phoneSchema = z.string().regex(/^\+?[0-9][0-9 -]{4,19}$/, 'must be a phone number of 5-20 digits');

/** Free text of 1-200 characters without control characters (SQL metacharacters are plain data). */
export const addressSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

export const householdSchema = z.strictObject({
  householdId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be 1-64 letters, digits or hyphens'),
  relation: z.enum(HOUSEHOLD_RELATIONS),
});

const common = {
  fullName: fullNameSchema,
  birthDate: dateSchema,
  phone: phoneSchema.optional(),
  address: addressSchema,
  household: householdSchema.optional(),
};

/** Enrollment of a permanent resident: citizen ID required and consistent with the birth date. */
export const residentInputSchema = z
  .strictObject({ kind: z.literal('resident'), citizenId: citizenIdSchema, ...common })
  .superRefine((v, ctx) => {
    // zod still runs this when a field failed; a malformed ID or date is already reported, and
    // comparing them would add a misleading second issue.
    if (citizenIdProblem(v.citizenId) !== undefined || !dateSchema.safeParse(v.birthDate).success) return;
    const embedded = `${v.citizenId.slice(6, 10)}-${v.citizenId.slice(10, 12)}-${v.citizenId.slice(12, 14)}`;
    if (embedded !== v.birthDate) {
      ctx.addIssue({ code: 'custom', path: ['birthDate'], message: 'does not match the birth date in the citizen ID' });
    }
  });

/** Enrollment of floating population: residence permit number and expiry required, citizen ID optional. */
export const floatingInputSchema = z.strictObject({
  kind: z.literal('floating'),
  citizenId: citizenIdSchema.optional(),
  residencePermit: z.strictObject({
    number: z.string().regex(/^[A-Z0-9-]{6,32}$/, 'must be 6-32 uppercase letters, digits or hyphens'),
    expiresOn: dateSchema,
  }),
  ...common,
});

export const enrollCardholderSchema = z.discriminatedUnion('kind', [residentInputSchema, floatingInputSchema]);
/** What a route passes in (unvalidated JSON has this shape once parsed). */
export type EnrollCardholderInput = z.input<typeof enrollCardholderSchema>;
export type ValidEnrollCardholderInput = z.output<typeof enrollCardholderSchema>;

/** Contact change: at least one field; phone null removes the number. */
export const contactUpdateSchema = z
  .strictObject({ phone: phoneSchema.nullable().optional(), address: addressSchema.optional() })
  .refine((v) => v.phone !== undefined || v.address !== undefined, 'nothing to update');
export type ContactUpdate = z.input<typeof contactUpdateSchema>;

export const cardholderSearchSchema = z
  .strictObject({
    namePrefix: z.string().min(1).max(100).optional(),
    citizenId: z.string().max(18).optional(),
    householdId: z.string().max(64).optional(),
    limit: z.number().int().min(1).max(100).default(50),
  })
  .refine((v) => v.namePrefix !== undefined || v.citizenId !== undefined || v.householdId !== undefined, 'give a search criterion');
export type CardholderSearch = z.input<typeof cardholderSearchSchema>;
