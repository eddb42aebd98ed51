/**
 * Wire codecs of field types (zod codecs: `decode` on the server turns JSON into typed values and
 * validates them, `encode` on the client does the reverse). Bytes travel as upper-case hex.
 */
import { z } from 'zod';

const HEX = /^(?:[0-9A-Fa-f]{2})*$/;

function lengthMessage(length: number | undefined): string {
  return length === undefined ? 'bytes' : `exactly ${length} bytes`;
}

function hexCodec<T extends Uint8Array>(out: z.ZodType<T, T>): z.ZodCodec<z.ZodString, z.ZodType<T, T>> {
  return z.codec(z.string().regex(HEX, 'expected hex'), out, {
    decode: (hex) => Buffer.from(hex, 'hex') as unknown as T,
    encode: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase(),
  });
}

/** Input bytes (any Uint8Array on the typed side), optionally of an exact length. */
export function bytesIn(length?: number) {
  return hexCodec(
    z.instanceof(Uint8Array).refine((b) => length === undefined || b.length === length, { message: lengthMessage(length) }),
  );
}

/** Output bytes (a Buffer on the typed side), optionally of an exact length. */
export function bytesOut(length?: number) {
  return hexCodec(
    z.custom<Buffer>((v) => Buffer.isBuffer(v)).refine((b) => length === undefined || b.length === length, {
      message: lengthMessage(length),
    }),
  );
}

/** Integer in `[min, max]`. */
export function uint(min: number, max: number) {
  return z.number().int().min(min).max(max);
}

export const u8 = uint(0, 0xff);
export const u16 = uint(0, 0xffff);
export const u32 = uint(0, 0xffffffff);
export const keyVersion = uint(1, 255);
export const kcvHex = z.string().regex(/^[0-9A-Fa-f]{6}$/, 'expected a 6-hex-digit check value');
export const keyLabel = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'expected a key label');
export const sessionId = z.string().regex(/^[0-9a-f]{32}$/, 'expected a session id');
export const keyId = z.object({ label: keyLabel, version: keyVersion });
