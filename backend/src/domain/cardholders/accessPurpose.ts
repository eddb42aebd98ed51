import { z } from 'zod';

/** Why personal data was read; every read must state one. */
export const ACCESS_PURPOSES = [
  'issuance',
  'service',
  'audit',
  'citizen-request',
  'loss-report',
  'correction',
] as const;
export type AccessPurpose = (typeof ACCESS_PURPOSES)[number];

/** The reader of personal data at the citizen kiosk, where no staff member is logged in. */
export const CITIZEN_KIOSK = 'citizen-kiosk';

/** Who reads and why: a staff id (or CITIZEN_KIOSK) and a purpose from ACCESS_PURPOSES. */
export const readContextSchema = z.strictObject({
  accessor: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'accessor must be a staff id or citizen-kiosk'),
  purpose: z.enum(ACCESS_PURPOSES),
});
export type ReadContext = z.infer<typeof readContextSchema>;
