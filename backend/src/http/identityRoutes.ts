/**
 * Identity verification over HTTP (docs/hotlist.md, "Identity verification"): a terminal gets a
 * nonce for its service point, the card signs it, the terminal sends the proof and gets a signed
 * assertion, or 403 with the refusal reason as the error code. While the nonce store (Redis)
 * cannot be reached, both answer 503 NONCE_STORE_UNAVAILABLE.
 */
import { ed25519PublicKeyToRaw, toHex } from '@citycard/protocols';
import { z } from 'zod';
import { IdentityRefusedError } from '../domain/identity/errors.js';
import type { IdentityVerification } from '../domain/identity/identityVerification.js';
import { NonceStoreError } from '../domain/identity/nonceStore.js';
import { AppError } from './appError.js';
import type { RouteModule } from './context.js';
import { publicKeySchema } from './hotlistRoutes.js';
import { TERMINAL_ACCESS, terminalOf } from './terminalAuth.js';

const servicePointSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'service point is 1 to 64 of A-Z a-z 0-9 . _ : -');
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), `${bytes} bytes as hex`);

export const identityRoutes: RouteModule = (registry, ctx) => {
  const services = ctx.terminalServices;
  const identity = (): IdentityVerification => {
    if (services.identity === undefined) {
      throw new AppError(503, 'IDENTITY_UNAVAILABLE', 'identity verification is not configured (no city CA certificate)');
    }
    return services.identity;
  };

  registry.add({
    method: 'post',
    path: '/api/v1/identity/nonces',
    summary: 'A single-use nonce (60 s) for a card to sign at this terminal and service point',
    tags: ['identity'],
    access: TERMINAL_ACCESS,
    status: 201,
    body: z.strictObject({ servicePoint: servicePointSchema }),
    response: z.object({ nonce: z.string(), expiresAt: z.string() }),
    handler: async ({ body, principal }) => {
      const service = identity();
      try {
        const issued = await service.issueNonce({ terminalId: terminalOf(principal).terminalNumber, servicePoint: body.servicePoint });
        return { nonce: toHex(issued.nonce), expiresAt: issued.expiresAt.toISOString() };
      } catch (err) {
        throw storeUnavailable(err) ?? err;
      }
    },
  });

  registry.add({
    method: 'post',
    path: '/api/v1/identity/verifications',
    summary: 'Check a card’s cardholder signature over a nonce; answers a signed assertion, or 403 with the reason',
    tags: ['identity'],
    access: TERMINAL_ACCESS,
    body: z.strictObject({
      servicePoint: servicePointSchema,
      nonce: hex(32),
      cardNumber: z.string().regex(/^[0-9]{16}$/, 'card number is 16 decimal digits'),
      certificate: z.base64().max(8192),
      signature: hex(256),
    }),
    response: z.object({ assertion: z.string(), expiresAt: z.string(), cardholder: z.object({ id: z.string(), name: z.string() }) }),
    handler: async ({ body, principal }) => {
      const terminalId = terminalOf(principal).terminalNumber;
      const service = identity();
      try {
        const result = await services.identityCaller.run(terminalId, () =>
          service.verify({
            terminalId,
            servicePoint: body.servicePoint,
            nonce: Buffer.from(body.nonce, 'hex'),
            cardNumber: body.cardNumber,
            certificateDer: Buffer.from(body.certificate, 'base64'),
            signature: Buffer.from(body.signature, 'hex'),
          }),
        );
        return {
          assertion: result.assertion,
          expiresAt: result.expiresAt.toISOString(),
          cardholder: { id: result.claims.sub, name: result.claims.name },
        };
      } catch (err) {
        if (err instanceof IdentityRefusedError) throw new AppError(403, err.reason, err.message, { cause: err });
        throw storeUnavailable(err) ?? err;
      }
    },
  });

  registry.add({
    method: 'get',
    path: '/api/v1/identity/public-key',
    summary: 'The Ed25519 key that signs identity assertions (32 bytes, hex)',
    tags: ['identity'],
    access: 'public',
    response: publicKeySchema,
    handler: () => ({ alg: 'Ed25519', publicKey: toHex(ed25519PublicKeyToRaw(services.identityPublicKey)) }),
  });
};

/** The 503 for a nonce store that cannot be reached, undefined for any other error. */
function storeUnavailable(err: unknown): AppError | undefined {
  if (!(err instanceof NonceStoreError) || err.reason !== 'UNAVAILABLE') return undefined;
  return new AppError(503, 'NONCE_STORE_UNAVAILABLE', 'identity verification is unavailable for now; try again shortly', { cause: err });
}
