/**
 * The identity assertion: a compact JWS (RFC 7515) signed with Ed25519 (`alg` EdDSA, RFC 8037),
 * `base64url(header) . base64url(claims) . base64url(signature)`. Services check it with the
 * backend's assertion public key and {@link verifyIdentityAssertion}.
 */
import { type KeyObject, sign, verify } from 'node:crypto';
import { IdentityAssertionError } from './errors.js';

/** Claims of an assertion; times are Unix seconds. */
export interface IdentityClaims {
  /** The backend that vouches. */
  readonly iss: string;
  /** Cardholder id. */
  readonly sub: string;
  /** Cardholder name. */
  readonly name: string;
  /** Card number that signed. */
  readonly card: string;
  /** Service point the assertion is for. */
  readonly spt: string;
  /** Terminal that verified. */
  readonly trm: string;
  /** Authentication methods (RFC 8176): PIN and a hardware-bound key. */
  readonly amr: readonly string[];
  readonly iat: number;
  readonly exp: number;
  /** Unique id, for services that keep a replay cache. */
  readonly jti: string;
}

const HEADER = { alg: 'EdDSA', typ: 'JWT' } as const;

/** Sign `claims`. Throws `TypeError` for a key that is not Ed25519. */
export function signIdentityAssertion(claims: IdentityClaims, privateKey: KeyObject): string {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('the assertion key must be Ed25519');
  const input = `${b64(JSON.stringify(HEADER))}.${b64(JSON.stringify(claims))}`;
  return `${input}.${sign(null, Buffer.from(input, 'ascii'), privateKey).toString('base64url')}`;
}

/**
 * Check an assertion's signature and expiry at `now` (and its service point when given); returns
 * the claims. Throws `IdentityAssertionError` `MALFORMED`, `SIGNATURE_INVALID`, `EXPIRED` or
 * `WRONG_SERVICE_POINT`.
 */
export function verifyIdentityAssertion(
  token: string,
  publicKey: KeyObject,
  expect: { readonly now: Date; readonly servicePoint?: string },
): IdentityClaims {
  const parts = token.split('.');
  const [header, payload, signature] = parts;
  if (parts.length !== 3 || header === undefined || payload === undefined || signature === undefined) {
    throw new IdentityAssertionError('MALFORMED', 'an assertion has three dot-separated parts');
  }
  let parsedHeader: unknown;
  let claims: IdentityClaims;
  try {
    parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as IdentityClaims;
  } catch (err) {
    throw new IdentityAssertionError('MALFORMED', 'the assertion header or claims are not JSON', { cause: err });
  }
  if ((parsedHeader as { alg?: unknown } | null)?.alg !== 'EdDSA') throw new IdentityAssertionError('MALFORMED', 'the assertion is not EdDSA');
  if (!verify(null, Buffer.from(`${header}.${payload}`, 'ascii'), publicKey, Buffer.from(signature, 'base64url'))) {
    throw new IdentityAssertionError('SIGNATURE_INVALID', 'the assertion is not signed by the backend');
  }
  if (typeof claims.exp !== 'number' || Math.floor(expect.now.getTime() / 1000) >= claims.exp) {
    throw new IdentityAssertionError('EXPIRED', 'the assertion has expired');
  }
  if (expect.servicePoint !== undefined && claims.spt !== expect.servicePoint) {
    throw new IdentityAssertionError('WRONG_SERVICE_POINT', 'the assertion is for another service point');
  }
  return claims;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
