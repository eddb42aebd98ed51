/**
 * The audit trail over HTTP, for auditors and admins: prove the hash chain, and list the entries
 * about one subject (a card, cardholder, staff or approval id). Reading changes nothing.
 */
import { z } from 'zod';
import { AuditLog } from '../domain/audit/auditLog.js';
import { verifyAuditChain } from '../domain/audit/verifyAuditChain.js';
import type { RouteModule } from './context.js';

const AUDIT_READERS = { roles: ['auditor', 'admin'] as const };

const auditRecordSchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  subject: z.string().nullable(),
  details: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});

const chainReportSchema = z.union([
  z.object({ ok: z.literal(true), entries: z.number().int(), headHash: z.string() }),
  z.object({
    ok: z.literal(false),
    entries: z.number().int(),
    firstBrokenSeq: z.number().int(),
    reason: z.enum(['missing-entry', 'prev-hash-mismatch', 'hash-mismatch']),
  }),
]);

export const auditRoutes: RouteModule = (registry, ctx) => {
  const log = new AuditLog(ctx.db);
  registry.add({
    method: 'get',
    path: '/api/v1/audit/verify',
    summary: 'Prove the audit hash chain from the first entry; reports the first break',
    tags: ['audit'],
    access: AUDIT_READERS,
    query: z.strictObject({}),
    response: chainReportSchema,
    handler: () => verifyAuditChain(ctx.db),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/audit',
    summary: 'Audit entries about one subject id, oldest first',
    tags: ['audit'],
    access: AUDIT_READERS,
    query: z.strictObject({ subject: z.string().min(1).max(200) }),
    response: z.object({ entries: z.array(auditRecordSchema) }),
    handler: ({ query }) => ({ entries: log.forSubject(query.subject) }),
  });
};
