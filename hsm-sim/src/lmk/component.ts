/**
 * LMK components. The local master key is an AES-256 key (32 bytes) that no one person knows: it is
 * the XOR of two or more 32-byte components, each held by a different custodian together with its
 * key check value, so a mistyped or swapped component is caught before it is used.
 */
import { createCipheriv } from 'node:crypto';
import { LmkError } from '../errors.js';

/** Bytes of the LMK and of each component. */
export const LMK_LENGTH = 32;
/** Bytes of an LMK or component check value (6 hex digits). */
export const LMK_KCV_LENGTH = 3;

/** One component as entered by its custodian: the value and the check value written beside it. */
export interface LmkComponent {
  /** 32 bytes. */
  readonly value: Uint8Array;
  /** The custodian's check value, 6 hex digits (either case). */
  readonly kcv: string;
}

/**
 * AES key check value: the leftmost 3 bytes of AES-256-ECB over a zero block, as 6 upper-case hex
 * digits. Throws `LmkError` unless `key` is 32 bytes.
 */
export function lmkCheckValue(key: Uint8Array): string {
  if (key.length !== LMK_LENGTH) throw new LmkError(`an LMK component must be ${LMK_LENGTH} bytes, got ${key.length}`);
  const cipher = createCipheriv('aes-256-ecb', key, null);
  cipher.setAutoPadding(false);
  const block = cipher.update(Buffer.alloc(16));
  cipher.final();
  return block.subarray(0, LMK_KCV_LENGTH).toString('hex').toUpperCase();
}

/**
 * Parses a component written as 64 hex digits (spaces allowed) with its 6-digit KCV. Throws
 * `LmkError` on malformed hex, a wrong length, or a value that does not match its KCV; the message
 * names the component by `position` (1-based), never by value.
 */
export function parseLmkComponent(hex: string, kcv: string, position: number): LmkComponent {
  const clean = hex.replace(/\s+/g, '');
  if (!/^[0-9a-fA-F]{64}$/.test(clean)) {
    throw new LmkError(`LMK component ${position} is not ${LMK_LENGTH} bytes of hex`);
  }
  if (!/^[0-9a-fA-F]{6}$/.test(kcv)) throw new LmkError(`LMK component ${position}: check value must be 6 hex digits`);
  const value = Buffer.from(clean, 'hex');
  checkComponent({ value, kcv }, position);
  return { value, kcv: kcv.toUpperCase() };
}

/** Throws `LmkError` when the component's value does not give its check value. */
export function checkComponent(component: LmkComponent, position: number): void {
  if (lmkCheckValue(component.value) !== component.kcv.toUpperCase()) {
    throw new LmkError(`LMK component ${position} does not match its check value ${component.kcv.toUpperCase()}`);
  }
}
