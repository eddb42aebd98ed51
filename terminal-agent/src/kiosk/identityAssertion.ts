/**
 * The kiosk's check of the backend's identity assertion before it shows it: a compact JWS
 * (`base64url(header) . base64url(claims) . base64url(signature)`, `alg` EdDSA with Ed25519) whose
 * claims name the cardholder (`sub`, `name`), the card (`card`), the service point (`spt`), the
 * terminal (`trm`) and the expiry (`exp`, Unix seconds). What the kiosk displays comes from the
 * verified claims, never from the unsigned parts of the backend's answer.
 */
import { type KeyObject, verify } from 'node:crypto';
import { CryptoError } from '../errors.js';

export interface AssertionClaims {
  readonly sub: string;
  readonly name: string;
  readonly card: string;
  readonly spt: string;
  readonly trm: string;
  readonly iat: number;
  readonly exp: number;
}

/** Why an assertion was not accepted. */
export type AssertionRejection = 'MALFORMED' | 'SIGNATURE_INVALID' | 'EXPIRED' | 'WRONG_CARD' | 'WRONG_SERVICE_POINT';

export class AssertionRejectedError extends CryptoError {
  override readonly name: string = 'AssertionRejectedError';
  readonly reason: AssertionRejection;
  constructor(reason: AssertionRejection, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * Verify `token` with the backend's Ed25519 key at `expect.now`, for the card and service point
 * given. Returns the claims; throws `AssertionRejectedError` (MALFORMED, SIGNATURE_INVALID,
 * EXPIRED, WRONG_CARD, WRONG_SERVICE_POINT).
 */
export function checkIdentityAssertion(
  token: string,
  publicKey: KeyObject,
  expect: { readonly now: Date; readonly cardNumber: string; readonly servicePoint: string },
): AssertionClaims {
  const parts = token.split('.');
  const [header, payload, signature] = parts;
  if (parts.length !== 3 || header === undefined || payload === undefined || signature === undefined) {
    throw new AssertionRejectedError('MALFORMED', 'an assertion has three dot-separated parts');
  }
  let alg: unknown;
  let claims: Partial<Record<keyof AssertionClaims, unknown>>;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown } | null)?.alg;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
  } catch (err) {
    throw new AssertionRejectedError('MALFORMED', 'the assertion header or claims are not JSON', { cause: err });
  }
  if (alg !== 'EdDSA') throw new AssertionRejectedError('MALFORMED', 'the assertion is not EdDSA');
  let valid: boolean;
  try {
    valid = verify(null, Buffer.from(`${header}.${payload}`, 'ascii'), publicKey, Buffer.from(signature, 'base64url'));
  } catch (err) {
    throw new AssertionRejectedError('SIGNATURE_INVALID', 'the assertion signature cannot be checked', { cause: err });
  }
  if (!valid) throw new AssertionRejectedError('SIGNATURE_INVALID', 'the assertion is not signed by the backend');
  const checked = wellFormed(claims);
  if (Math.floor(expect.now.getTime() / 1000) >= checked.exp) throw new AssertionRejectedError('EXPIRED', 'the assertion has expired');
  if (checked.card !== expect.cardNumber) throw new AssertionRejectedError('WRONG_CARD', 'the assertion is for another card');
  if (checked.spt !== expect.servicePoint) throw new AssertionRejectedError('WRONG_SERVICE_POINT', 'the assertion is for another service point');
  return checked;
}

function wellFormed(claims: Partial<Record<keyof AssertionClaims, unknown>> | null): AssertionClaims {
  const c = claims ?? {};
  const { sub, name, card, spt, trm, iat, exp } = c;
  if (
    typeof sub !== 'string' || typeof name !== 'string' || typeof card !== 'string' || typeof spt !== 'string' ||
    typeof trm !== 'string' || typeof iat !== 'number' || typeof exp !== 'number'
  ) {
    throw new AssertionRejectedError('MALFORMED', 'the assertion lacks a claim the kiosk needs');
  }
  return { sub, name, card, spt, trm, iat, exp };
}
