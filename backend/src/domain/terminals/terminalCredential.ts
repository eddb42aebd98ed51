/**
 * Terminal credentials: `TERMINAL.SECRET`, the 12-digit terminal number, a dot and 32 random
 * bytes in base64url (43 characters). Only SHA-256 of the secret is stored: the secret is
 * high-entropy, so a slow hash adds nothing, and a check costs one hash.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TERMINAL_SECRET_BYTES = 32;
const CREDENTIAL = /^([0-9]{12})\.([A-Za-z0-9_-]{43})$/;

export interface NewCredential {
  /** Shown once to whoever registers the terminal. */
  readonly credential: string;
  /** What is stored. */
  readonly hash: string;
}

export function newTerminalCredential(terminalNumber: string, random: (n: number) => Buffer = randomBytes): NewCredential {
  const secret = random(TERMINAL_SECRET_BYTES).toString('base64url');
  return { credential: `${terminalNumber}.${secret}`, hash: secretHash(secret) };
}

/** Splits a credential; undefined when it does not have the form. */
export function parseTerminalCredential(credential: string): { terminalNumber: string; secret: string } | undefined {
  const m = CREDENTIAL.exec(credential);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  return { terminalNumber: m[1], secret: m[2] };
}

/** SHA-256 of the secret, lower-case hex. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'ascii').digest('hex');
}

/** Constant-time comparison of the secret's hash with the stored one. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(secretHash(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
