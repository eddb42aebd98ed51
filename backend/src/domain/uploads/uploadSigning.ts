/**
 * What upload signatures cover (docs/upload.md, "Signing"). The terminal agent implements the same
 * encoding in terminal-agent/src/upload/batchSigning.ts; the example in docs/upload.md is a test
 * fixture of both.
 *
 *   canonical JSON : object keys sorted by UTF-16 code unit, no whitespace, strings escaped as
 *                    JSON.stringify does, numbers safe integers only
 *   digest         : SHA-256( UTF-8(context) ‖ 0x0A ‖ UTF-8(canonical JSON) )
 *   signature      : Ed25519 over the 32-byte digest, 64 bytes
 *
 * A batch's object is the body without `signature`; a key proof's is { terminal, publicKey, issuedAt }.
 */
import { type KeyObject, createHash, createPublicKey, verify } from 'node:crypto';

export const BATCH_CONTEXT = 'CITYCARD-UPLOAD-BATCH-V1';
export const KEY_PROOF_CONTEXT = 'CITYCARD-UPLOAD-KEY-V1';

/**
 * Canonical JSON of plain data.
 * @throws TypeError on a number that is not a safe integer, an undefined array element, or a
 *   value JSON cannot carry (functions, bigint, symbols, class instances).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    // Floats have more than one decimal spelling; integers have one.
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON carries safe integers only, got ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value
      .map((v: unknown) => {
        if (v === undefined) throw new TypeError('canonical JSON cannot carry an undefined array element');
        return canonicalJson(v);
      })
      .join(',')}]`;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const obj = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of Object.keys(obj).sort()) {
      if (obj[k] === undefined) continue;
      parts.push(`${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot carry a ${typeof value}`);
}

/** SHA-256( context ‖ LF ‖ canonical JSON ). @throws TypeError as {@link canonicalJson}. */
export function signingDigest(context: string, value: unknown): Buffer {
  return createHash('sha256').update(`${context}\n${canonicalJson(value)}`, 'utf8').digest();
}

/** SHA-256 of a record's canonical JSON, upper-case hex: equal records have equal digests. */
export function recordDigest(record: unknown): string {
  return createHash('sha256').update(canonicalJson(record), 'utf8').digest('hex').toUpperCase();
}

/**
 * The Ed25519 public key of 32 raw bytes (hex); undefined when the bytes are not a key Node accepts.
 */
export function publicKeyFromHex(hex: string): KeyObject | undefined {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/** True when `signatureHex` is the key's Ed25519 signature of `digest`; false for any malformed input. */
export function signatureValid(key: KeyObject, digest: Uint8Array, signatureHex: string): boolean {
  try {
    return verify(null, digest, key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}
