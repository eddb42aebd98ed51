/**
 * Hotlist distribution to terminals (docs/hotlist.md): a signed update since the terminal's
 * version, a server-sent-events stream of pushes, and the public key that checks them; and the
 * key ceremony that rotates that key, requested here and approved by a second supervisor or
 * admin through POST /api/v1/approvals/:id/approve.
 */
import { MAX_HOTLIST_VERSION, ed25519PublicKeyToRaw, toHex } from '@citycard/protocols';
import { z } from 'zod';
import { HOTLIST_KEY_ROTATE, keyRotationPayloadSchema } from '../domain/approvals/hotlistKeyCeremony.js';
import { HOTLIST_SSE_KEEPALIVE, hotlistSseFrame } from '../realtime/hotlistSse.js';
import { AppError } from './appError.js';
import type { RouteModule } from './context.js';
import { approvalViewSchema } from './staffSchemas.js';
import { TERMINAL_ACCESS, terminalOf } from './terminalAuth.js';

const VERSION = /^[0-9]{1,10}$/;
const versionSchema = z
  .string()
  .regex(VERSION, 'version is a decimal integer 0 to 4294967295')
  .transform(Number)
  .pipe(z.number().max(MAX_HOTLIST_VERSION, 'version is at most 4294967295'));

/** Public key answer of the hotlist and identity key routes. */
export const publicKeySchema = z.object({ alg: z.literal('Ed25519'), publicKey: z.string() });

export const hotlistRoutes: RouteModule = (registry, ctx) => {
  const { hotlist } = ctx;
  const streams = ctx.terminalServices.hotlistStreams;

  registry.add({
    method: 'get',
    path: '/api/v1/hotlist',
    summary: 'Signed hotlist update (delta or snapshot) from the terminal’s version; application/octet-stream',
    tags: ['hotlist'],
    access: TERMINAL_ACCESS,
    query: z.strictObject({ since: versionSchema.default(0) }),
    handler: ({ query, res }) => {
      res.status(200).type('application/octet-stream').send(hotlist.signedUpdate(query.since));
      return undefined;
    },
  });

  registry.add({
    method: 'get',
    path: '/api/v1/hotlist/stream',
    summary: 'Server-sent events: a catch-up frame from `since` or Last-Event-ID, then every hotlist push, with keepalives',
    tags: ['hotlist'],
    access: TERMINAL_ACCESS,
    query: z.strictObject({ since: versionSchema.optional() }),
    handler: async ({ query, req, res, principal }) => {
      const terminal = terminalOf(principal);
      const since = query.since ?? lastEventId(req.get('last-event-id'));
      if (streams.closed) throw new AppError(503, 'SHUTTING_DOWN', 'the backend is shutting down; reconnect shortly');
      try {
        await streams.ready();
      } catch (err) {
        throw new AppError(503, 'REALTIME_UNAVAILABLE', 'hotlist pushes are unavailable; poll GET /api/v1/hotlist', { cause: err });
      }
      res.status(200).set({ 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' });
      res.flushHeaders();
      // Catch-up and subscription in the same tick: no push can fall between them.
      if (since !== undefined) res.write(hotlistSseFrame(hotlist.signedUpdate(since)));
      const detach = streams.attach(res, terminal.terminalNumber, (bytes) => {
        res.write(hotlistSseFrame(bytes));
      });
      const keepalive = setInterval(() => res.write(HOTLIST_SSE_KEEPALIVE), streams.keepaliveMs);
      keepalive.unref();
      res.on('close', () => {
        clearInterval(keepalive);
        detach();
      });
      return undefined;
    },
  });

  registry.add({
    method: 'get',
    path: '/api/v1/hotlist/public-key',
    summary: 'The Ed25519 key that signs hotlist messages (32 bytes, hex)',
    tags: ['hotlist'],
    access: 'public',
    response: publicKeySchema,
    // Read per request: a key ceremony may have rotated the key since the routes were mounted.
    handler: () => ({ alg: 'Ed25519', publicKey: toHex(ed25519PublicKeyToRaw(ctx.hotlistPublicKey)) }),
  });

  registry.add({
    method: 'post',
    path: '/api/v1/hotlist/signing-key/rotations',
    summary: 'Ask for a rotation of the hotlist signing key; a different supervisor or admin approves it (POST /api/v1/approvals/:id/approve)',
    tags: ['hotlist'],
    access: { roles: ['supervisor', 'admin'] },
    status: 202,
    body: keyRotationPayloadSchema,
    response: z.object({ approval: approvalViewSchema }),
    handler: ({ body, staff }) => staff && { approval: ctx.approvals.requestApproval(HOTLIST_KEY_ROTATE, body, staff) },
  });
};

/** @throws AppError 400 for a Last-Event-ID that is not a version. */
function lastEventId(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const parsed = versionSchema.safeParse(header);
  if (!parsed.success) throw new AppError(400, 'VALIDATION_FAILED', 'Last-Event-ID must be a hotlist version 0 to 4294967295');
  return parsed.data;
}
