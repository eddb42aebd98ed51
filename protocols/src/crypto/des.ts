/**
 * DES and triple DES (ECB and CBC, no padding) on top of node:crypto.
 *
 * The key length picks the algorithm: 8 bytes = single DES, 16 bytes = 2-key 3DES (K1 K2 K1),
 * 24 bytes = 3-key 3DES. OpenSSL 3 keeps single DES in its legacy provider, which Node 20 does
 * not load, so every variant runs as `des-ede3` (EDE with K1 = K2 = K3 is single DES), the one
 * DES cipher every OpenSSL build ships in its default provider.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

/** DES block size in bytes. */
export const DES_BLOCK = 8;

const ZERO_BLOCK = new Uint8Array(DES_BLOCK);

/** Throws `RangeError` unless the key is 8, 16 or 24 bytes. */
export function checkDesKey(key: Uint8Array): void {
  if (key.length !== 8 && key.length !== 16 && key.length !== 24) {
    throw new RangeError(`DES key must be 8, 16 or 24 bytes, got ${key.length}`);
  }
}

function checkBlocks(data: Uint8Array): void {
  if (data.length % DES_BLOCK !== 0) {
    throw new RangeError(`DES data must be a multiple of 8 bytes, got ${data.length}`);
  }
}

function checkIv(iv: Uint8Array): void {
  if (iv.length !== DES_BLOCK) throw new RangeError(`DES IV must be 8 bytes, got ${iv.length}`);
}

/** The 24-byte EDE3 key for an 8/16/24-byte key; a 24-byte key is returned as is. */
function ede3Key(key: Uint8Array): { k: Uint8Array; copied: boolean } {
  checkDesKey(key);
  if (key.length === 24) return { k: key, copied: false };
  const k = Buffer.allocUnsafe(24);
  k.set(key, 0);
  if (key.length === 8) {
    k.set(key, 8);
    k.set(key, 16);
  } else {
    k.set(key.subarray(0, 8), 16);
  }
  return { k, copied: true };
}

function run(
  mode: 'des-ede3-ecb' | 'des-ede3-cbc',
  encrypt: boolean,
  key: Uint8Array,
  data: Uint8Array,
  iv: Uint8Array | null,
): Buffer {
  checkBlocks(data);
  if (iv !== null) checkIv(iv);
  const { k, copied } = ede3Key(key);
  const cipher = encrypt ? createCipheriv(mode, k, iv) : createDecipheriv(mode, k, iv);
  // OpenSSL has taken its own copy of the key; do not leave ours around until the next GC.
  if (copied) k.fill(0);
  cipher.setAutoPadding(false);
  const out = cipher.update(data);
  const tail = cipher.final();
  return tail.length === 0 ? out : Buffer.concat([out, tail]);
}

/**
 * DES/3DES ECB encryption. Key 8, 16 or 24 bytes; data a multiple of 8 bytes (may be empty).
 * Throws `RangeError` otherwise.
 */
export function desEcbEncrypt(key: Uint8Array, data: Uint8Array): Buffer {
  return run('des-ede3-ecb', true, key, data, null);
}

/** DES/3DES ECB decryption; same ranges and errors as {@link desEcbEncrypt}. */
export function desEcbDecrypt(key: Uint8Array, data: Uint8Array): Buffer {
  return run('des-ede3-ecb', false, key, data, null);
}

/**
 * DES/3DES CBC encryption. Key 8, 16 or 24 bytes; data a multiple of 8 bytes; IV 8 bytes
 * (default zero). Throws `RangeError` otherwise.
 */
export function desCbcEncrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_BLOCK): Buffer {
  return run('des-ede3-cbc', true, key, data, iv);
}

/** DES/3DES CBC decryption; same ranges and errors as {@link desCbcEncrypt}. */
export function desCbcDecrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_BLOCK): Buffer {
  return run('des-ede3-cbc', false, key, data, iv);
}

/**
 * Key check value: the leftmost `length` bytes (1 to 8, default 3) of the ECB encryption of
 * 8 zero bytes under the key (8, 16 or 24 bytes). Throws `RangeError` otherwise.
 */
export function keyCheckValue(key: Uint8Array, length = 3): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > DES_BLOCK) {
    throw new RangeError(`KCV length must be 1 to 8, got ${length}`);
  }
  // Copy so the result does not keep the rest of the encrypted block reachable through `.buffer`.
  return Buffer.from(desEcbEncrypt(key, ZERO_BLOCK).subarray(0, length));
}
