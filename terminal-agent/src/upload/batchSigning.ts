/**
 * The signed upload wire format (docs/upload.md), terminal side. The backend checks the same
 * encoding (backend/src/domain/uploads/uploadSigning.ts):
 *
 *   canonical JSON : object keys sorted by UTF-16 code unit, no whitespace, strings escaped as
 *                    JSON.stringify does, numbers safe integers only
 *   digest         : SHA-256( UTF-8(context) ‖ 0x0A ‖ UTF-8(canonical JSON) )
 *   signature      : Ed25519 over the 32-byte digest, 64 bytes as upper-case hex
 *
 * A batch signs { batchId, terminal, createdAt, records }; a key proof signs { terminal, publicKey, issuedAt }.
 */
import { type KeyObject, createHash, createPublicKey, sign } from 'node:crypto';
import { ed25519PublicKeyToRaw, toHex } from '@citycard/protocols';
import type { PurseRecord } from '../store/recordStore.js';

export const BATCH_CONTEXT = 'CITYCARD-UPLOAD-BATCH-V1';
export const KEY_PROOF_CONTEXT = 'CITYCARD-UPLOAD-KEY-V1';

/** What a batch signature covers. */
export interface UploadBatch {
  /** Lower-case UUID the terminal chose; a retry re-sends the same id and content. */
  readonly batchId: string;
  /** 12-digit terminal number, the same as every record's. */
  readonly terminal: string;
  /** ISO-8601 UTC with milliseconds. */
  readonly createdAt: string;
  readonly records: readonly PurseRecord[];
}

/** The body of POST /api/v1/terminal/self/batches. */
export interface SignedUploadBatch extends UploadBatch {
  /** Ed25519, 64 bytes as upper-case hex. */
  readonly signature: string;
}

/** The body of PUT /api/v1/terminal/self/upload-key. */
export interface UploadKeyProof {
  /** Raw 32-byte Ed25519 public key, upper-case hex. */
  readonly publicKey: string;
  readonly issuedAt: string;
  readonly signature: string;
}

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

/**
 * Signs a batch with the terminal's upload key. Ed25519 is deterministic: the same batch and key
 * always give the same signature.
 * @throws TypeError when the key is not an Ed25519 private key or a record is not plain JSON data.
 */
export function signBatch(batch: UploadBatch, privateKey: KeyObject): SignedUploadBatch {
  const { batchId, terminal, createdAt, records } = batch;
  const unsigned = { batchId, terminal, createdAt, records };
  return { ...unsigned, signature: toHex(sign(null, signingDigest(BATCH_CONTEXT, unsigned), ed25519Private(privateKey))) };
}

/**
 * The proof of possession that registers `privateKey`'s public half as `terminal`'s upload key.
 * @throws TypeError when the key is not an Ed25519 private key.
 */
export function uploadKeyProof(terminal: string, privateKey: KeyObject, issuedAt: Date): UploadKeyProof {
  const publicKey = toHex(ed25519PublicKeyToRaw(createPublicKey(ed25519Private(privateKey))));
  const at = issuedAt.toISOString();
  const signature = toHex(sign(null, signingDigest(KEY_PROOF_CONTEXT, { terminal, publicKey, issuedAt: at }), privateKey));
  return { publicKey, issuedAt: at, signature };
}

function ed25519Private(key: KeyObject): KeyObject {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') throw new TypeError('the upload key must be an Ed25519 private key');
  return key;
}
