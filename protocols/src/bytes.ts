/**
 * Byte helpers shared by every component. Hex is upper case without separators, as in the card
 * interface spec; parsing accepts either case and ignores spaces so fixtures can be written as
 * `'00 A4 04 00'`.
 */

/** Parse hex (spaces allowed). Throws `TypeError` on an odd length or a non-hex character. */
export function fromHex(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new TypeError(`not a hex string: "${text.length > 40 ? `${text.slice(0, 40)}…` : text}"`);
  }
  return Buffer.from(clean, 'hex');
}

/** Upper-case hex without separators. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** Concatenate byte arrays into one Buffer. */
export function concat(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

/** Big-endian unsigned integer of `length` bytes (1 to 6). Throws `RangeError` if it does not fit. */
export function uintBE(value: number, length: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * length)) {
    throw new RangeError(`${value} does not fit in ${length} unsigned byte(s)`);
  }
  const out = Buffer.alloc(length);
  out.writeUIntBE(value, 0, length);
  return out;
}

/** Read a big-endian unsigned integer of `length` bytes (1 to 6) at `offset`. */
export function readUintBE(bytes: Uint8Array, offset: number, length: number): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUIntBE(offset, length);
}

/** XOR of two equal-length arrays. */
export function xor(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) throw new RangeError(`xor of ${a.length} and ${b.length} bytes`);
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Constant-time equality for secrets (MACs, PINs); false on different lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
