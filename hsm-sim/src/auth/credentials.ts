/**
 * Client credentials and the connection handshake, shared by the server and the client.
 *
 * A credential is a token `NAME.SECRET` (SECRET: 32 random bytes, base64url), printed once when the
 * client is added. The HSM never stores the token: it keeps only the authentication key
 * `AK = HMAC-SHA-256(SECRET, "citycard-hsm client v1")`, sealed under the LMK. At connection start
 * the server sends a 32-byte nonce NS; the client answers with its own nonce NC and
 * `HMAC(AK, "client" ‖ NS ‖ NC ‖ NAME)`; the server proves it holds AK too with
 * `HMAC(AK, "server" ‖ NS ‖ NC ‖ NAME)`. The secret never travels.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { HsmAuthError } from '../errors.js';

/** Client names: 1 to 32 of a-z 0-9 -, starting with a letter. */
export const CLIENT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** Bytes of the token secret and of each nonce. */
export const SECRET_LENGTH = 32;
export const NONCE_LENGTH = 32;

/** A parsed token; keep `secret` out of logs. */
export interface ClientToken {
  readonly name: string;
  readonly secret: Buffer;
}

/** A fresh token for `name`, as printed to the operator. */
export function newToken(name: string): { token: string; secret: Buffer } {
  const secret = randomBytes(SECRET_LENGTH);
  return { token: `${name}.${secret.toString('base64url')}`, secret };
}

/** Parses `NAME.SECRET`. Throws `HsmAuthError` on any other shape (without echoing the token). */
export function parseToken(token: string): ClientToken {
  const dot = token.lastIndexOf('.');
  const name = token.slice(0, dot);
  const secret = Buffer.from(token.slice(dot + 1), 'base64url');
  if (dot < 1 || !CLIENT_NAME_PATTERN.test(name) || secret.length !== SECRET_LENGTH) {
    throw new HsmAuthError('malformed client token (expected NAME.SECRET as printed by `hsm client add`)');
  }
  return { name, secret };
}

/** The authentication key the HSM stores for a secret. */
export function deriveAuthKey(secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update('citycard-hsm client v1').digest();
}

function proof(label: 'client' | 'server', authKey: Uint8Array, serverNonce: Uint8Array, clientNonce: Uint8Array, name: string): Buffer {
  return createHmac('sha256', authKey).update(label).update(serverNonce).update(clientNonce).update(name, 'utf8').digest();
}

/** The client's handshake proof. */
export function clientProof(authKey: Uint8Array, serverNonce: Uint8Array, clientNonce: Uint8Array, name: string): Buffer {
  return proof('client', authKey, serverNonce, clientNonce, name);
}

/** The server's handshake proof. */
export function serverProof(authKey: Uint8Array, serverNonce: Uint8Array, clientNonce: Uint8Array, name: string): Buffer {
  return proof('server', authKey, serverNonce, clientNonce, name);
}

/** Constant-time comparison of two proofs; false on different lengths. */
export function proofsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
