/** zod schemas shared by the staff, auth and approval routes. */
import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN } from '../domain/staff/passwords.js';
import { ROLES } from '../domain/staff/roles.js';

/** 3..32 characters: lower-case ASCII letter first, then letters, digits, '.', '_' or '-'. */
export const usernameSchema = z.string().regex(/^[a-z][a-z0-9._-]{2,31}$/, 'a user name has 3..32 characters: a-z first, then a-z, 0-9, . _ -');
/** 1..100 characters of any script, no control characters. */
export const displayNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}\p{Cf}]+$/u, 'a display name has no control or format characters');
export const roleSchema = z.enum(ROLES);
export const passwordSchema = z.string().min(1).max(PASSWORD_MAX);
export const newPasswordSchema = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX);

export const staffViewSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: roleSchema,
  disabled: z.boolean(),
  mustChangePassword: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const approvalViewSchema = z.object({
  id: z.string(),
  kind: z.string(),
  payload: z.unknown(),
  status: z.enum(['pending', 'approved', 'rejected', 'expired']),
  requestedBy: z.string(),
  requestedAt: z.string(),
  expiresAt: z.string(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  reason: z.string().nullable(),
});
