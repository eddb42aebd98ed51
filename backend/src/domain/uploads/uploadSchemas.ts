/**
 * The wire shapes of uploads (docs/upload.md), strict: unknown keys, lower-case hex in record
 * fields, out-of-range numbers and oversized batches are refused. Records are the terminal's
 * purse records (terminal-agent/src/purse/purseRecords.ts) exactly as it stores them.
 */
import { z } from 'zod';

/** Most records one batch may carry. */
export const MAX_BATCH_RECORDS = 500;
/** Most APDU exchanges one record's trail may carry (a purchase with recovery needs about ten). */
export const MAX_TRAIL_ENTRIES = 64;

const UINT32_MAX = 0xffff_ffff;
const hex = (bytes: number, what: string) => z.string().regex(new RegExp(`^[0-9A-F]{${bytes * 2}}$`), `${what} is ${bytes} bytes as upper-case hex`);
const uint = (max: number) => z.number().int().min(0).max(max);
/** Lower case only, so one batch has one spelling of its id. */
export const batchIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'batchId is a lower-case UUID');
const isoTime = z.iso.datetime({ precision: 3, message: 'an ISO-8601 UTC time with milliseconds, e.g. 2026-11-23T12:00:00.000Z' });
/** The 6-byte BCD terminal number as the PSAM reports it; the registry's numbers are its 12 digits. */
const terminalNumber = z.string().regex(/^[0-9]{12}$/, 'terminal number is 12 decimal digits');

const trailEntrySchema = z.strictObject({
  seq: uint(MAX_TRAIL_ENTRIES - 1),
  slot: z.enum(['card', 'psam']),
  name: z.string().regex(/^[ -~]{1,64}$/, 'command name is 1-64 printable ASCII characters'),
  at: isoTime,
  // Short APDUs: a command is at most 5 + 255 + 1 bytes, a response 256 + 2.
  command: z.string().regex(/^(?:[0-9A-F]{2}){4,261}$/, 'command is 4-261 bytes as upper-case hex'),
  response: z.string().regex(/^(?:[0-9A-F]{2}){2,258}$/, 'response is 2-258 bytes as upper-case hex').nullable(),
});

const common = {
  cardNumber: z.string().regex(/^[0-9]{16}$/, 'card number is 16 digits'),
  amount: z.number().int().min(1).max(UINT32_MAX),
  terminal: terminalNumber,
  date: z.string().regex(/^[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])$/, 'date is YYYYMMDD'),
  time: z.string().regex(/^([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]$/, 'time is hhmmss'),
  balanceBefore: uint(UINT32_MAX),
  keyVersion: uint(0xff),
  algorithmId: uint(0xff),
  trail: z.array(trailEntrySchema).max(MAX_TRAIL_ENTRIES),
  mac2: hex(4, 'mac2'),
  tac: hex(4, 'tac'),
  recovered: z.boolean(),
};

export const purchaseRecordSchema = z.strictObject({
  kind: z.literal('purchase'),
  ...common,
  offlineCounter: uint(0xffff),
  ttsn: uint(UINT32_MAX),
  mac2Verified: z.boolean(),
});

export const loadRecordSchema = z.strictObject({
  kind: z.literal('load'),
  ...common,
  onlineCounter: uint(0xffff),
  tacVerified: z.boolean(),
});

export const purseRecordSchema = z.discriminatedUnion('kind', [purchaseRecordSchema, loadRecordSchema]);
export type UploadedRecord = z.infer<typeof purseRecordSchema>;

/** The body of POST /api/v1/terminal/self/batches. */
export const signedBatchSchema = z.strictObject({
  batchId: batchIdSchema,
  terminal: terminalNumber,
  createdAt: isoTime,
  records: z.array(purseRecordSchema).min(1).max(MAX_BATCH_RECORDS),
  signature: hex(64, 'signature'),
});
export type SignedBatch = z.infer<typeof signedBatchSchema>;

/** The body of PUT /api/v1/terminal/self/upload-key. */
export const uploadKeyProofSchema = z.strictObject({
  publicKey: hex(32, 'publicKey'),
  issuedAt: isoTime,
  signature: hex(64, 'signature'),
});
export type UploadKeyProof = z.infer<typeof uploadKeyProofSchema>;

/** What the terminal gets back for a batch, the first time and every time after. */
export const batchAckSchema = z.object({
  batchId: z.string(),
  /** Records stored by this batch, conflict rows included. */
  accepted: z.number().int(),
  /** Records the inbox already held with the same content: not stored again. */
  duplicates: z.number().int(),
  /** Of `accepted`, records stored as conflict rows (same natural key, other content). */
  conflicts: z.number().int(),
});
export type BatchAck = z.infer<typeof batchAckSchema>;

export const uploadKeyViewSchema = z.object({
  terminal: z.string(),
  alg: z.literal('Ed25519'),
  publicKey: z.string(),
  registeredAt: z.string(),
  /** False when the same key was registered already (nothing changed). */
  changed: z.boolean(),
});
export type UploadKeyView = z.infer<typeof uploadKeyViewSchema>;
