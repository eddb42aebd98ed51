/**
 * Compact wire form of a batch of purchase TAC checks: fixed 35-byte records, base64, so a batch
 * of 50,000 decodes without building 50,000 JSON objects first.
 *
 * ```
 * card number (8) ‖ key version (1) ‖ type (1) ‖ amount (4) ‖ terminal (6) ‖ TTSN (4) ‖ date (4) ‖ time (3) ‖ TAC (4)
 * ```
 */
import { EP_PURCHASE } from '@citycard/protocols';
import { z } from 'zod';
import type { PurchaseTacCheck } from '../custodian.js';
import { HsmRequestError } from '../errors.js';

export const TAC_RECORD = 35;

function put(out: Buffer, at: number, bytes: Uint8Array, length: number, name: string): void {
  if (bytes.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${bytes.length}`);
  out.set(bytes, at);
}

/** Packs checks into records. Throws `RangeError` on a field of the wrong length or range. */
export function packTacChecks(checks: readonly PurchaseTacCheck[]): Buffer {
  const out = Buffer.alloc(checks.length * TAC_RECORD);
  checks.forEach((c, i) => {
    const at = i * TAC_RECORD;
    put(out, at, c.cardNumber, 8, 'card number');
    out.writeUInt8(c.keyVersion, at + 8);
    out.writeUInt8(c.type ?? EP_PURCHASE, at + 9);
    out.writeUInt32BE(c.amount, at + 10);
    put(out, at + 14, c.terminal, 6, 'terminal');
    out.writeUInt32BE(c.ttsn, at + 20);
    put(out, at + 24, c.date, 4, 'date');
    put(out, at + 28, c.time, 3, 'time');
    put(out, at + 31, c.tac, 4, 'TAC');
  });
  return out;
}

/** Unpacks records (views into `packed`). Throws `HsmRequestError` on a length that is not a whole number of records. */
export function unpackTacChecks(packed: Buffer): PurchaseTacCheck[] {
  if (packed.length % TAC_RECORD !== 0) throw new HsmRequestError(`TAC batch is not a whole number of ${TAC_RECORD}-byte records`);
  const checks: PurchaseTacCheck[] = new Array(packed.length / TAC_RECORD);
  for (let i = 0, at = 0; at < packed.length; i++, at += TAC_RECORD) {
    checks[i] = {
      cardNumber: packed.subarray(at, at + 8),
      keyVersion: packed[at + 8]!,
      type: packed[at + 9]!,
      amount: packed.readUInt32BE(at + 10),
      terminal: packed.subarray(at + 14, at + 20),
      ttsn: packed.readUInt32BE(at + 20),
      date: packed.subarray(at + 24, at + 28),
      time: packed.subarray(at + 28, at + 31),
      tac: packed.subarray(at + 31, at + 35),
    };
  }
  return checks;
}

/** The batch as a base64 string of records. */
export const tacBatchCodec = z.codec(z.base64(), z.custom<readonly PurchaseTacCheck[]>((v) => Array.isArray(v)), {
  decode: (text) => unpackTacChecks(Buffer.from(text, 'base64')),
  encode: (checks) => packTacChecks(checks).toString('base64'),
});

/** Verdicts as a string of `1` (good) and `0` (bad). */
export const verdictsCodec = z.codec(z.string().regex(/^[01]*$/), z.custom<boolean[]>((v) => Array.isArray(v)), {
  decode: (text) => Array.from(text, (c) => c === '1'),
  encode: (verdicts) => verdicts.map((v) => (v ? '1' : '0')).join(''),
});
