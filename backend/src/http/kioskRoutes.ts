/**
 * What a citizen kiosk may ask on behalf of the cardholder standing at it. The kiosk is a
 * registered terminal (mode `kiosk`, `Authorization: Bearer TERMINAL.SECRET`); the cardholder has
 * just proved themself with card and PIN, and the identity assertion the backend signed for that
 * (POST /api/v1/identity/verifications) is the only key to their data here: a kiosk sees the
 * data-access log of that cardholder and of nobody else, and only while the assertion is fresh.
 */
import { z } from 'zod';
import { IdentityAssertionError } from '../domain/identity/errors.js';
import { type IdentityClaims, verifyIdentityAssertion } from '../domain/identity/assertion.js';
import { CITIZEN_KIOSK } from '../domain/cardholders/accessPurpose.js';
import { AppError } from './appError.js';
import { withCardErrors } from './cardholderErrors.js';
import type { BackendContext, RouteModule } from './context.js';
import { TERMINAL_ACCESS, terminalOf } from './terminalAuth.js';

/** An assertion older than this (seconds since it was issued) no longer opens the log, whatever its expiry. */
export const KIOSK_ASSERTION_MAX_AGE_SECONDS = 600;

const TERMINAL_ACCESSOR = /^terminal:([0-9]{12})$/;

const accessorSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('staff'), role: z.string() }),
  z.object({ kind: z.literal('terminal'), terminalNumber: z.string() }),
  z.object({ kind: z.literal('kiosk') }),
  z.object({ kind: z.literal('other') }),
]);

const kioskAccessLogSchema = z.object({
  entries: z.array(z.object({ at: z.string(), purpose: z.string(), accessor: accessorSchema })),
});

type Accessor = z.infer<typeof accessorSchema>;

export const kioskRoutes: RouteModule = (registry, ctx) => {
  registry.add({
    method: 'post',
    path: '/api/v1/kiosk/access-log',
    summary: 'Who read the personal data of the cardholder whose fresh identity assertion (issued to this kiosk) is given, newest first',
    tags: ['kiosk'],
    access: TERMINAL_ACCESS,
    body: z.strictObject({ assertion: z.string().min(1).max(4096) }),
    response: kioskAccessLogSchema,
    handler: ({ body, principal }) => {
      const terminal = terminalOf(principal);
      if (terminal.mode !== 'kiosk') throw new AppError(403, 'NOT_A_KIOSK', 'only a terminal registered as a kiosk may show a citizen their data');
      const claims = freshClaims(ctx, body.assertion);
      if (claims.trm !== terminal.terminalNumber) {
        throw new AppError(403, 'ASSERTION_WRONG_TERMINAL', 'the identity assertion was issued to another terminal');
      }
      return withCardErrors(() => {
        const roles = staffRoles(ctx);
        // The citizen wants the latest reads first.
        const entries = ctx.cardholders.accessLogFor(claims.sub).reverse();
        return { entries: entries.map((e) => ({ at: e.at, purpose: e.purpose, accessor: describeAccessor(e.accessor, roles) })) };
      });
    },
  });
};

/**
 * The claims of an assertion signed by this backend, unexpired and at most
 * KIOSK_ASSERTION_MAX_AGE_SECONDS old. Throws AppError 403 ASSERTION_EXPIRED or ASSERTION_INVALID.
 */
function freshClaims(ctx: BackendContext, assertion: string): IdentityClaims {
  const now = ctx.clock();
  let claims: IdentityClaims;
  try {
    claims = verifyIdentityAssertion(assertion, ctx.terminalServices.identityPublicKey, { now });
  } catch (err) {
    if (err instanceof IdentityAssertionError) {
      const code = err.reason === 'EXPIRED' ? 'ASSERTION_EXPIRED' : 'ASSERTION_INVALID';
      throw new AppError(403, code, `the identity assertion is not accepted: ${err.message}`, { cause: err });
    }
    throw err;
  }
  if (typeof claims.iat !== 'number' || Math.floor(now.getTime() / 1000) - claims.iat > KIOSK_ASSERTION_MAX_AGE_SECONDS) {
    throw new AppError(403, 'ASSERTION_EXPIRED', 'the identity assertion is too old: prove your identity again');
  }
  if (typeof claims.sub !== 'string' || typeof claims.trm !== 'string') {
    throw new AppError(403, 'ASSERTION_INVALID', 'the identity assertion names no cardholder or terminal');
  }
  return claims;
}

// A citizen sees what kind of reader looked and why, never a staff member's name or id.
function describeAccessor(accessor: string, roles: ReadonlyMap<string, string>): Accessor {
  const role = roles.get(accessor);
  if (role !== undefined) return { kind: 'staff', role };
  const terminal = TERMINAL_ACCESSOR.exec(accessor);
  if (terminal?.[1] !== undefined) return { kind: 'terminal', terminalNumber: terminal[1] };
  if (accessor === CITIZEN_KIOSK) return { kind: 'kiosk' };
  return { kind: 'other' };
}

function staffRoles(ctx: BackendContext): Map<string, string> {
  return new Map(ctx.staff.list().map((s) => [s.id, s.role]));
}
