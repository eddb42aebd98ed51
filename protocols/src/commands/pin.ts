/**
 * PIN and PUK blocks and the answers of the commands that check them (card interface spec §2-3):
 *
 * ```
 * PIN (ref 01): 4 to 8 ASCII digits padded with FF to 8 bytes     "1234" -> 31323334FFFFFFFF
 * PUK (ref 81): 8 ASCII digits                                     "12345678" -> 3132333435363738
 * 9000 accepted; 63Cx refused, x tries left; 6983 blocked
 * ```
 * Error messages never contain the PIN.
 */
import type { ResponseApdu } from '../apdu.js';
import { swTriesLeft } from '../sw.js';
import { CommandParameterError, type StatusTable, requireDataLength, requireResultStatus } from './cardCommand.js';

export const PIN_REFERENCE = { pin: 0x01, puk: 0x81 } as const;
/** `01` the cardholder PIN, `81` the PUK. */
export type PinReference = (typeof PIN_REFERENCE)[keyof typeof PIN_REFERENCE];

export const PIN_BLOCK_LENGTH = 8;

/** Answer of VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER. */
export type PinCheckResult =
  | { readonly ok: true }
  /** `blocked` is true for `6983` and for `63C0` (refused, no try left). */
  | { readonly ok: false; readonly triesLeft: number; readonly blocked: boolean };

/** Status words of a PIN check: all three are results the parser turns into a {@link PinCheckResult}. */
export const PIN_CHECK_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'accepted' },
  { sw: 0x63c0, mask: 0xfff0, outcome: 'result', meaning: 'refused, x tries left' },
  { sw: 0x6983, outcome: 'result', meaning: 'blocked' },
];

/**
 * The 8-byte block of a PIN (ref 01: 4 to 8 digits) or PUK (ref 81: exactly 8 digits). Throws
 * `CommandParameterError` (parameter `pin`) otherwise, or for another reference.
 */
export function encodePinBlock(pin: string, reference: PinReference = PIN_REFERENCE.pin): Buffer {
  const [min, label] = pinRule(reference);
  if (typeof pin !== 'string' || pin.length < min || pin.length > PIN_BLOCK_LENGTH || !/^[0-9]+$/.test(pin)) {
    throw new CommandParameterError('pin', `${label} must be ${min === PIN_BLOCK_LENGTH ? '8' : `${min} to 8`} digits`);
  }
  const block = Buffer.alloc(PIN_BLOCK_LENGTH, 0xff);
  block.write(pin, 'latin1');
  return block;
}

/**
 * The digits of a PIN or PUK block, for the card side. Throws `CommandParameterError` (sw 6A80)
 * for a block that is not 8 bytes, holds a non-digit, a digit after the padding, or too few digits.
 */
export function decodePinBlock(block: Uint8Array, reference: PinReference = PIN_REFERENCE.pin): string {
  const [min, label] = pinRule(reference);
  if (block.length !== PIN_BLOCK_LENGTH) {
    throw new CommandParameterError('pin', `${label} block must be ${PIN_BLOCK_LENGTH} bytes, got ${block.length}`);
  }
  const bytes = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  const end = bytes.indexOf(0xff);
  const digits = bytes.subarray(0, end === -1 ? PIN_BLOCK_LENGTH : end);
  const padding = bytes.subarray(digits.length);
  if (!digits.every((b) => b >= 0x30 && b <= 0x39) || !padding.every((b) => b === 0xff) || digits.length < min) {
    throw new CommandParameterError('pin', `malformed ${label} block`);
  }
  return digits.toString('latin1');
}

/**
 * Turn a PIN check answer into a result. Throws `ResponseDataError` for data with the status
 * word or a status word that is not 9000, 63Cx or 6983.
 */
export function parsePinCheckResponse(name: string, response: ResponseApdu): PinCheckResult {
  const tries = swTriesLeft(response.sw);
  if (tries === undefined) requireResultStatus(name, response.sw, 0x9000, 0x6983);
  requireDataLength(name, response.data, 0);
  if (response.sw === 0x9000) return { ok: true };
  if (tries === undefined) return { ok: false, triesLeft: 0, blocked: true };
  return { ok: false, triesLeft: tries, blocked: tries === 0 };
}

/** Throws `CommandParameterError` (parameter `reference`) unless `reference` is 01 or 81. */
export function checkPinReference(reference: number): asserts reference is PinReference {
  pinRule(reference as PinReference);
}

function pinRule(reference: PinReference): [min: number, label: string] {
  if (reference === PIN_REFERENCE.pin) return [4, 'PIN'];
  if (reference === PIN_REFERENCE.puk) return [PIN_BLOCK_LENGTH, 'PUK'];
  throw new CommandParameterError('reference', `PIN reference must be 01 or 81, got ${String(reference)}`);
}
