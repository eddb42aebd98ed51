/**
 * Dual control over HTTP: request an action of a defined kind, list and read requests, approve
 * (runs the kind's executor when it has one) or reject.
 */
import { z } from 'zod';
import type { RouteModule } from './context.js';
import { approvalViewSchema } from './staffSchemas.js';

const READERS = { roles: ['clerk', 'supervisor', 'auditor', 'admin'] as const };
const REQUESTERS = { roles: ['clerk', 'supervisor', 'admin'] as const };
const APPROVERS = { roles: ['supervisor', 'admin'] as const };
const byId = z.strictObject({ id: z.uuid() });

export const approvalRoutes: RouteModule = (registry, ctx) => {
  registry.add({
    method: 'post',
    path: '/api/v1/approvals',
    summary: 'Request a sensitive action; a different supervisor or admin must approve it',
    tags: ['approvals'],
    access: REQUESTERS,
    status: 201,
    body: z.strictObject({ kind: z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/), payload: z.unknown() }),
    response: approvalViewSchema,
    handler: ({ body, staff }) => staff && ctx.approvals.requestApproval(body.kind, body.payload, staff),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/approvals',
    summary: 'List approval requests, newest first',
    tags: ['approvals'],
    access: READERS,
    query: z.strictObject({
      status: z.enum(['pending', 'approved', 'rejected', 'expired']).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
    response: z.object({ approvals: z.array(approvalViewSchema) }),
    handler: ({ query }) => ({ approvals: ctx.approvals.list(query) }),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/approvals/:id',
    summary: 'One approval request',
    tags: ['approvals'],
    access: READERS,
    params: byId,
    response: approvalViewSchema,
    handler: ({ params }) => ctx.approvals.get(params.id),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/approvals/:id/approve',
    summary: 'Approve a request made by someone else; runs the action',
    tags: ['approvals'],
    access: APPROVERS,
    params: byId,
    response: z.object({ approval: approvalViewSchema, result: z.unknown() }),
    handler: async ({ params, staff }) => {
      if (staff === undefined) return undefined;
      const { approval, payload } = ctx.approvals.approve(params.id, staff);
      const execute = ctx.approvals.kind(approval.kind).execute;
      const result: unknown = execute === undefined ? null : await execute(payload, { approval, approver: staff });
      return { approval, result: result ?? null };
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/approvals/:id/reject',
    summary: 'Reject a request (or withdraw one’s own)',
    tags: ['approvals'],
    access: REQUESTERS,
    params: byId,
    body: z.strictObject({ reason: z.string().trim().min(1).max(500) }),
    response: approvalViewSchema,
    handler: ({ params, body, staff }) => staff && ctx.approvals.reject(params.id, staff, body.reason),
  });
};
