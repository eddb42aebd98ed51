/**
 * Uploads from terminals (docs/upload.md), terminal scheme only: a terminal registers the
 * Ed25519 key that signs its batches, then sends batches of purse records to the inbox. The
 * body limit (CITYCARD_BACKEND_BODY_LIMIT_BYTES) bounds a batch's bytes, MAX_BATCH_RECORDS its records.
 */
import {
  BatchIdReusedError,
  BatchSignatureError,
  UploadKeyInUseError,
  UploadKeyMissingError,
  UploadKeyProofError,
  UploadKeyProofStaleError,
  WrongTerminalError,
  batchAckSchema,
  receiveBatch,
  registerUploadKey,
  signedBatchSchema,
  uploadKeyProofSchema,
  uploadKeyViewSchema,
} from '../domain/uploads/index.js';
import type { RouteModule } from './context.js';
import { TERMINAL_ACCESS, terminalOf } from './terminalAuth.js';

export const uploadRoutes: RouteModule = (registry, ctx) => {
  const deps = { db: ctx.db, audit: ctx.audit, clock: ctx.clock };
  registry.mapError(WrongTerminalError, 403);
  registry.mapError(UploadKeyMissingError, 409);
  registry.mapError(BatchIdReusedError, 409);
  registry.mapError(UploadKeyInUseError, 409);
  registry.mapError(BatchSignatureError, 422);
  registry.mapError(UploadKeyProofError, 422);
  registry.mapError(UploadKeyProofStaleError, 422);

  registry.add({
    method: 'put',
    path: '/api/v1/terminal/self/upload-key',
    summary: 'Register or replace the calling terminal’s Ed25519 upload key, with a signature proving possession',
    tags: ['uploads'],
    access: TERMINAL_ACCESS,
    body: uploadKeyProofSchema,
    response: uploadKeyViewSchema,
    handler: ({ body, principal }) => registerUploadKey(deps, terminalOf(principal).terminalNumber, body),
  });

  registry.add({
    method: 'post',
    path: '/api/v1/terminal/self/batches',
    summary: 'Store a signed batch of the calling terminal’s purse records in the inbox; idempotent by batchId',
    tags: ['uploads'],
    access: TERMINAL_ACCESS,
    body: signedBatchSchema,
    response: batchAckSchema,
    handler: ({ body, principal }) => {
      const ack = receiveBatch(deps, terminalOf(principal).terminalNumber, body);
      // After the commit, never before: the queue only points at rows SQLite already holds.
      ctx.clearing.batchStored(ack.batchId);
      return ack;
    },
  });
};
