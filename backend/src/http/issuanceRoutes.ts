/**
 * Issuance over HTTP: clerks queue approved cards (one or a batch), the personalization station
 * (signed in as a clerk until terminal credentials exist) claims jobs and reports each card done
 * or failed, and the console reads progress.
 */
import { z } from 'zod';
import { CardholderNotFoundError } from '../domain/cardholders/errors.js';
import { CardNotFoundError, InvalidTransitionError } from '../domain/cards/errors.js';
import {
  CardNotApprovedError,
  IssuanceBatchNotFoundError,
  IssuanceDataError,
  IssuanceJobExistsError,
  IssuanceJobNotFoundError,
  IssuanceJobs,
  IssuanceReportError,
  type IssuanceJob,
  JobNotClaimedError,
  JobNotFailedError,
} from '../domain/issuance/index.js';
import type { RouteModule } from './context.js';

const READERS = { roles: ['clerk', 'supervisor', 'auditor', 'admin'] as const };
const ISSUERS = { roles: ['clerk', 'supervisor', 'admin'] as const };
// The station does front-desk work only; seniors approve, they do not feed card readers.
const STATIONS = { roles: ['clerk'] as const };

const byJob = z.strictObject({ jobId: z.uuid() });
const stationName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, underscores or hyphens');
const claimToken = z.uuid();

const progressSchema = z.object({
  total: z.number().int(),
  queued: z.number().int(),
  claimed: z.number().int(),
  done: z.number().int(),
  failed: z.number().int(),
  retries: z.number().int(),
});

const jobViewSchema = z.object({
  id: z.string(),
  cardId: z.string(),
  batchId: z.string().nullable(),
  cardNumber: z.string(),
  state: z.enum(['queued', 'claimed', 'done', 'failed']),
  attempts: z.number().int(),
  station: z.string().nullable(),
  leaseUntil: z.string().nullable(),
  lastError: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const orderSchema = z.object({
  cardInfo: z.object({
    cardNumber: z.string(),
    effectiveDate: z.string(),
    expiryDate: z.string(),
    cardType: z.number().int(),
    issuerId: z.string(),
  }),
  cardholder: z.object({ name: z.string(), citizenId: z.string(), dateOfBirth: z.string(), residency: z.enum(['permanent', 'temporary']) }),
  purse: z.object({ maxBalance: z.number().int(), maxSinglePurchase: z.number().int() }),
});

/** The job without its personal data snapshot (auditors read jobs too; only the claiming station gets it). */
function jobView(job: IssuanceJob): z.infer<typeof jobViewSchema> {
  const { order: _order, claimToken: _token, seq: _seq, ...view } = job;
  return view;
}

export const issuanceRoutes: RouteModule = (registry, ctx) => {
  const issuance = new IssuanceJobs(ctx.db, ctx.audit, { clock: ctx.clock });
  registry.mapError(IssuanceJobNotFoundError, 404);
  registry.mapError(IssuanceBatchNotFoundError, 404);
  registry.mapError(CardNotApprovedError, 409);
  registry.mapError(IssuanceJobExistsError, 409);
  registry.mapError(JobNotClaimedError, 409);
  registry.mapError(JobNotFailedError, 409);
  registry.mapError(IssuanceReportError, 422);
  registry.mapError(IssuanceDataError, 422);
  registry.mapError(CardNotFoundError, 404);
  registry.mapError(CardholderNotFoundError, 404);
  registry.mapError(InvalidTransitionError, 409);

  registry.add({
    method: 'post',
    path: '/api/v1/issuance/jobs',
    summary: 'Queue an approved card for personalization at a station',
    tags: ['issuance'],
    access: ISSUERS,
    status: 201,
    body: z.strictObject({ cardId: z.uuid(), cardType: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).optional() }),
    response: jobViewSchema,
    handler: ({ body, staff }) => staff && jobView(issuance.createJob(body.cardId, staff, { cardType: body.cardType })),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/issuance/batches',
    summary: 'Queue up to count approved cards that have no job yet, as one batch',
    tags: ['issuance'],
    access: ISSUERS,
    status: 201,
    body: z.strictObject({ count: z.number().int().min(1).max(10_000) }),
    response: z.object({ batchId: z.string(), jobIds: z.array(z.string()) }),
    handler: ({ body, staff }) => {
      if (staff === undefined) return undefined;
      const { batchId, jobs } = issuance.createBatch(body.count, staff);
      return { batchId, jobIds: jobs.map((j) => j.id) };
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/issuance/batches/:batchId',
    summary: 'Progress of a batch: queued, claimed, done and failed jobs',
    tags: ['issuance'],
    access: READERS,
    params: z.strictObject({ batchId: z.uuid() }),
    response: progressSchema,
    handler: ({ params }) => issuance.progress(params.batchId),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/issuance/progress',
    summary: 'Progress of every issuance job',
    tags: ['issuance'],
    access: READERS,
    response: progressSchema,
    handler: () => issuance.progress(),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/issuance/jobs/:jobId',
    summary: 'One issuance job (without the cardholder data)',
    tags: ['issuance'],
    access: READERS,
    params: byJob,
    response: jobViewSchema,
    handler: ({ params }) => jobView(issuance.get(params.jobId)),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/issuance/claims',
    summary: 'A station claims the oldest queued job and gets what goes on the card; 204 when none is queued',
    tags: ['issuance'],
    access: STATIONS,
    body: z.strictObject({ station: stationName }),
    response: z.object({ jobId: z.string(), claimToken: z.string(), leaseUntil: z.string(), attempt: z.number().int(), order: orderSchema }),
    handler: ({ body, staff }) => staff && issuance.claim(body.station, staff),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/issuance/jobs/:jobId/complete',
    summary: 'The station personalized the card: the card becomes personalized with its number, CSN and certificate',
    tags: ['issuance'],
    access: STATIONS,
    params: byJob,
    body: z.strictObject({
      claimToken,
      cardNumber: z.string().regex(/^\d{16}$/, 'must be 16 digits'),
      csn: z.string().regex(/^[0-9A-Fa-f]{16}$/, 'must be 16 hex digits'),
      certificate: z.string().regex(/^(?:[0-9A-Fa-f]{2}){64,4096}$/, 'must be a DER certificate as hex (64-4096 bytes)'),
    }),
    response: z.object({ cardId: z.string(), jobId: z.string(), cardNumber: z.string(), csn: z.string(), certificate: z.string(), personalizedAt: z.string() }),
    handler: ({ params, body, staff }) => staff && issuance.complete(params.jobId, body, staff),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/issuance/jobs/:jobId/fail',
    summary: 'The station could not finish the card: the job goes back to the queue (or fails for good)',
    tags: ['issuance'],
    access: STATIONS,
    params: byJob,
    body: z.strictObject({
      claimToken,
      step: z.string().trim().min(1).max(100),
      reason: z.string().trim().min(1).max(300),
      retryable: z.boolean().optional(),
    }),
    response: jobViewSchema,
    handler: ({ params, body, staff }) => staff && jobView(issuance.fail(params.jobId, body, staff)),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/issuance/jobs/:jobId/requeue',
    summary: 'Put a failed job back in the queue with fresh attempts',
    tags: ['issuance'],
    access: ISSUERS,
    params: byJob,
    response: jobViewSchema,
    handler: ({ params, staff }) => staff && jobView(issuance.requeue(params.jobId, staff)),
  });
};
