/**
 * Encryption of data at rest under the LMK: AES-256-GCM with a random 96-bit nonce and additional
 * authenticated data that binds each blob to what it is (a key's label, version, kind, usage...),
 * so a blob copied onto another record, or a record whose attributes were edited in the database,
 * fails to open. The LMK itself is never used directly: HKDF derives one subkey per purpose.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { HsmStoreError } from '../errors.js';
import { type Lmk } from '../lmk/combine.js';

/** A sealed blob as stored: nonce (12) ‖ ciphertext ‖ tag (16). */
export type SealedBlob = Buffer;

const NONCE = 12;
const TAG = 16;

function subkey(lmk: Lmk, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', lmk.key, Buffer.alloc(0), `citycard-hsm ${purpose}`, 32));
}

/** Seals and opens data at rest; holds LMK-derived subkeys in memory only. */
export class LmkCipher {
  readonly #wrapKey: Buffer;
  readonly #auditKey: Buffer;
  /** The LMK check value this cipher was built from. */
  readonly kcv: string;

  constructor(lmk: Lmk) {
    this.#wrapKey = subkey(lmk, 'key wrapping');
    this.#auditKey = subkey(lmk, 'audit chain');
    this.kcv = lmk.kcv;
  }

  /** Encrypts `plain` bound to `aad` (a description of the record, not secret). */
  seal(plain: Uint8Array, aad: string): SealedBlob {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.#wrapKey, nonce);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([nonce, body, cipher.getAuthTag()]);
  }

  /**
   * Decrypts a blob sealed with the same `aad`. Throws `HsmStoreError` when the blob is malformed,
   * was sealed under another LMK, was tampered with, or belongs to another record.
   */
  open(blob: Uint8Array, aad: string): Buffer {
    if (blob.length < NONCE + TAG) throw new HsmStoreError('sealed blob is truncated');
    const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    const decipher = createDecipheriv('aes-256-gcm', this.#wrapKey, b.subarray(0, NONCE));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(b.subarray(b.length - TAG));
    try {
      return Buffer.concat([decipher.update(b.subarray(NONCE, b.length - TAG)), decipher.final()]);
    } catch (err) {
      throw new HsmStoreError('sealed blob fails authentication (tampered, misplaced, or another LMK)', { cause: err });
    }
  }

  /** HMAC-SHA-256 under the audit subkey: links audit entries so that edits are detectable. */
  auditMac(data: Uint8Array): Buffer {
    return createHmac('sha256', this.#auditKey).update(data).digest();
  }

  /** Overwrites the subkeys; the cipher is unusable afterwards. */
  destroy(): void {
    this.#wrapKey.fill(0);
    this.#auditKey.fill(0);
  }
}
