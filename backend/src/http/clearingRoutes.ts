/**
 * Clearing operations: GET /metrics (Prometheus text, public like /healthz: aggregate counts
 * only, no card, terminal or amount; the backend listens on loopback unless told otherwise) and
 * GET /api/v1/clearing/status (the same snapshot as JSON, for supervisors, auditors and admins).
 */
import { z } from 'zod';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../queue/prometheusText.js';
import type { RouteModule } from './context.js';

const READERS = { roles: ['supervisor', 'auditor', 'admin'] as const };

const count = z.number().int().min(0);
export const clearingStatusSchema = z.object({
  redis: z.enum(['up', 'down', 'off']),
  queue: z.object({ waiting: count, active: count, delayed: count, failed: count }).nullable(),
  recordsPerSecond: z.number().min(0).nullable(),
  recordsClearedTotal: count,
  inbox: z.record(z.string(), count),
  oldestReceivedAt: z.string().nullable(),
  exceptions: z.array(z.object({ kind: z.string(), status: z.string(), count })),
});

export const clearingRoutes: RouteModule = (registry, ctx) => {
  registry.add({
    method: 'get',
    path: '/metrics',
    summary: 'Clearing queue depth, throughput, exceptions and inbox backlog in the Prometheus text format',
    tags: ['clearing'],
    access: 'public',
    handler: async ({ res }) => {
      const text = prometheusText(await ctx.clearing.status(), ctx.clock());
      res.status(200).type(PROMETHEUS_CONTENT_TYPE).send(text);
      return undefined;
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/clearing/status',
    summary: 'Clearing pipeline status: Redis, queue depth, records per second, inbox backlog and exceptions',
    tags: ['clearing'],
    access: READERS,
    response: clearingStatusSchema,
    handler: () => ctx.clearing.status(),
  });
};
