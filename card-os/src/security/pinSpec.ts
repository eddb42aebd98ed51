/**
 * PIN and PUK reference data as an application declares them, and the 8-byte PIN block of the
 * card interface spec §3: 4 to 8 ASCII digits padded with `FF`.
 */

export interface PinSpec {
  /** Reference (P2 of VERIFY), 1 to 255; e.g. 01 for the PIN, 81 for the PUK. */
  readonly ref: number;
  /** For diagnostics only, e.g. 'PIN'. */
  readonly label: string;
  /** Fewest digits, 1 to 8. */
  readonly minDigits: number;
  /** Most digits, minDigits to 8. */
  readonly maxDigits: number;
  /** Tries after which it blocks, 1 to 15 (fits the x of `63Cx`). */
  readonly maxTries: number;
  /** The reference this one resets with RESET RETRY COUNTER (a PUK names its PIN). */
  readonly unblocks?: number;
  /** When blocked, the application is dead for good: every VERIFY answers `6983`. */
  readonly blocksApplication?: boolean;
}

/** Bytes of a PIN block. */
export const PIN_BLOCK_LENGTH = 8;
const PAD = 0xff;

/** Throws `RangeError` naming the problem when `spec` breaks the ranges stated above. */
export function checkPinSpec(spec: PinSpec): void {
  const ok =
    isInt(spec.ref, 1, 0xff) &&
    isInt(spec.minDigits, 1, PIN_BLOCK_LENGTH) &&
    isInt(spec.maxDigits, spec.minDigits, PIN_BLOCK_LENGTH) &&
    isInt(spec.maxTries, 1, 15) &&
    (spec.unblocks === undefined || isInt(spec.unblocks, 1, 0xff));
  if (!ok) throw new RangeError(`PIN reference ${spec.ref} (${spec.label}) is out of range`);
}

/**
 * Whether `block` is 8 bytes: minDigits to maxDigits ASCII digits, then only `FF`. Runs in time
 * independent of the digits (no early exit), as a malformed block may still hold a secret.
 */
export function isWellFormedPinBlock(block: Uint8Array, spec: PinSpec): boolean {
  if (block.length !== PIN_BLOCK_LENGTH) return false;
  let digits = 0;
  let padSeen = 0;
  let bad = 0;
  for (let i = 0; i < PIN_BLOCK_LENGTH; i++) {
    const b = block[i]!;
    const isDigit = b >= 0x30 && b <= 0x39 ? 1 : 0;
    const isPad = b === PAD ? 1 : 0;
    bad |= (isDigit | isPad) ^ 1; // neither digit nor pad
    bad |= padSeen & isDigit; // digit after padding
    padSeen |= isPad;
    digits += isDigit;
  }
  return bad === 0 && digits >= spec.minDigits && digits <= spec.maxDigits;
}

/** The PIN block of `digits`. Throws `RangeError` unless they are minDigits to maxDigits digits. */
export function encodePinBlock(digits: string, spec: PinSpec): Buffer {
  if (!/^[0-9]+$/.test(digits) || digits.length < spec.minDigits || digits.length > spec.maxDigits) {
    throw new RangeError(`${spec.label} must be ${spec.minDigits} to ${spec.maxDigits} decimal digits`);
  }
  const block = Buffer.alloc(PIN_BLOCK_LENGTH, PAD);
  block.write(digits, 0, 'latin1');
  return block;
}

function isInt(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}
