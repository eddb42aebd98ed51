/**
 * ISO/IEC 9797-1 padding methods 1 and 2 and MAC algorithms 1 and 3 with DES as the block cipher.
 *
 * Both MACs take an initial chaining value (ICV, XORed into the first block as in PBOC; zero by
 * default, which is plain ISO/IEC 9797-1) and return the leftmost `length` bytes (default 8; the
 * card interface uses 4).
 */
import { DES_BLOCK, desCbcEncrypt } from './des.js';
import { PaddingError } from './errors.js';

/** ISO/IEC 9797-1 padding method, or `'none'` for data that is already a multiple of 8 bytes. */
export type PaddingMethod = 1 | 2 | 'none';

export interface MacOptions {
  /** Initial chaining value, 8 bytes; default 8 zero bytes. */
  readonly icv?: Uint8Array;
  /** Bytes of the MAC to keep, 1 to 8; default 8. */
  readonly length?: number;
  /** Padding applied before chaining; default method 2. */
  readonly padding?: PaddingMethod;
}

const ZERO_BLOCK = new Uint8Array(DES_BLOCK);

/**
 * Padding method 1: zero bytes up to a multiple of 8. Empty data becomes one zero block
 * (ISO/IEC 9797-1:2011); data already a multiple of 8 is returned unchanged (as a copy).
 * Method 1 is ambiguous (trailing zeros of the data cannot be told from padding): use it only
 * where a peer requires it.
 */
export function padMethod1(data: Uint8Array): Buffer {
  const length = data.length === 0 ? DES_BLOCK : Math.ceil(data.length / DES_BLOCK) * DES_BLOCK;
  const out = Buffer.alloc(length);
  out.set(data, 0);
  return out;
}

/** Padding method 2: one `80` byte, then zero bytes up to a multiple of 8 (always adds 1 to 8 bytes). */
export function padMethod2(data: Uint8Array): Buffer {
  const out = Buffer.alloc((Math.floor(data.length / DES_BLOCK) + 1) * DES_BLOCK);
  out.set(data, 0);
  out[data.length] = 0x80;
  return out;
}

/**
 * Strict removal of padding method 2. The input must be a non-empty multiple of 8 bytes whose
 * last block ends in `80` followed by zero to seven `00` bytes; returns the data before the `80`.
 * Throws `PaddingError` otherwise.
 */
export function unpadMethod2(padded: Uint8Array): Buffer {
  if (padded.length === 0 || padded.length % DES_BLOCK !== 0) {
    throw new PaddingError(`padded data must be a non-empty multiple of 8 bytes, got ${padded.length}`);
  }
  const stop = padded.length - DES_BLOCK;
  for (let i = padded.length - 1; i >= stop; i--) {
    const b = padded[i]!;
    if (b === 0x80) return Buffer.from(padded.subarray(0, i));
    if (b !== 0x00) break;
  }
  throw new PaddingError('no ISO/IEC 9797-1 method 2 padding in the last block');
}

function pad(data: Uint8Array, method: PaddingMethod): Uint8Array {
  switch (method) {
    case 1:
      // Avoid a copy for aligned data: the MAC never writes to its input.
      return data.length !== 0 && data.length % DES_BLOCK === 0 ? data : padMethod1(data);
    case 2:
      return padMethod2(data);
    case 'none':
      if (data.length === 0 || data.length % DES_BLOCK !== 0) {
        throw new RangeError(`unpadded MAC input must be a non-empty multiple of 8 bytes, got ${data.length}`);
      }
      return data;
    default:
      throw new RangeError(`unknown padding method ${String(method)}`);
  }
}

function resolve(options: MacOptions): { icv: Uint8Array; length: number; padding: PaddingMethod } {
  const icv = options.icv ?? ZERO_BLOCK;
  const length = options.length ?? DES_BLOCK;
  if (icv.length !== DES_BLOCK) throw new RangeError(`ICV must be 8 bytes, got ${icv.length}`);
  if (!Number.isInteger(length) || length < 1 || length > DES_BLOCK) {
    throw new RangeError(`MAC length must be 1 to 8, got ${length}`);
  }
  return { icv, length, padding: options.padding ?? 2 };
}

function leftmost(block: Buffer, offset: number, length: number): Buffer {
  // Copy so the MAC does not keep the whole ciphertext reachable through `.buffer`.
  return Buffer.from(block.subarray(offset, offset + length));
}

/**
 * MAC algorithm 1: CBC-MAC of the padded data under one block cipher key: 8 bytes = single
 * DES, 16 or 24 bytes = 3DES on every block. Throws `RangeError` on a bad key, ICV, length, or
 * (with padding `'none'`) data that is not a non-empty multiple of 8 bytes.
 */
export function macAlgorithm1(key: Uint8Array, data: Uint8Array, options: MacOptions = {}): Buffer {
  const { icv, length, padding } = resolve(options);
  const chained = desCbcEncrypt(key, pad(data, padding), icv);
  return leftmost(chained, chained.length - DES_BLOCK, length);
}

/**
 * MAC algorithm 3 (retail MAC): single-DES CBC under K1 on every block, then the last result
 * decrypted under K2 and encrypted again under K1. `key` is K1 ‖ K2 (16 bytes). Throws
 * `RangeError` on a bad key, ICV, length, or (with padding `'none'`) misaligned data.
 */
export function macAlgorithm3(key: Uint8Array, data: Uint8Array, options: MacOptions = {}): Buffer {
  if (key.length !== 16) throw new RangeError(`MAC algorithm 3 key must be 16 bytes (K1 ‖ K2), got ${key.length}`);
  const { icv, length, padding } = resolve(options);
  const padded = pad(data, padding);
  const head = padded.length - DES_BLOCK;
  let chain = icv;
  if (head > 0) {
    const chained = desCbcEncrypt(key.subarray(0, 8), padded.subarray(0, head), icv);
    chain = chained.subarray(head - DES_BLOCK);
  }
  // e_K1(d_K2(e_K1(x))) on the last block is 2-key 3DES (K1 K2 K1), chained from the rest.
  const last = desCbcEncrypt(key, padded.subarray(head), chain);
  return leftmost(last, 0, length);
}
