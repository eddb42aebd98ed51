/** zod schemas of the terminals area, shared by its routes. */
import { z } from 'zod';
import { MERCHANT_CATEGORIES, TERMINAL_MODES } from '../domain/terminals/terminal.js';

export const terminalNumberSchema = z.string().regex(/^[0-9]{12}$/, 'terminal number is 12 decimal digits');
/** PSAM serial: 8 to 32 upper-case hex digits. */
export const psamSerialSchema = z.string().regex(/^[0-9A-F]{8,32}$/, 'PSAM serial is 8 to 32 upper-case hex digits');
/** Printable text, no control characters. */
const text = (max: number) => z.string().trim().min(1).max(max).regex(/^[^\p{Cc}]*$/u, 'no control characters');

export const merchantInputSchema = z.strictObject({ name: text(120), category: z.enum(MERCHANT_CATEGORIES) });
export const merchantViewSchema = z.object({ id: z.string(), name: z.string(), category: z.enum(MERCHANT_CATEGORIES), createdAt: z.string() });

export const terminalInputSchema = z.strictObject({
  terminalNumber: terminalNumberSchema,
  merchantId: z.uuid(),
  mode: z.enum(TERMINAL_MODES),
  location: text(200),
});
export const psamViewSchema = z.object({ serial: z.string(), terminalNumber: z.string(), createdAt: z.string() });
export const terminalViewSchema = z.object({
  terminalNumber: z.string(),
  merchantId: z.string(),
  mode: z.enum(TERMINAL_MODES),
  location: z.string(),
  disabled: z.boolean(),
  credentialIssuedAt: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const terminalDetailSchema = terminalViewSchema.extend({ psams: z.array(psamViewSchema) });
export const issuedTerminalSchema = z.object({
  terminal: terminalViewSchema,
  /** `TERMINAL.SECRET`, shown once. */
  credential: z.string(),
});
