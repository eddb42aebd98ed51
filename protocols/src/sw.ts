/**
 * Status words as data (card interface spec §2 and §4). `SW` names every status word the project
 * uses; `swMessage` turns any status word into a sentence a terminal can show or log.
 */

export const SW = {
  OK: 0x9000,
  END_OF_FILE: 0x6282,
  MEMORY_FAILURE: 0x6581,
  WRONG_LENGTH: 0x6700,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  INCORRECT_DATA: 0x6a80,
  APPLICATION_BLOCKED: 0x6a81,
  NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  MAC_INVALID: 0x9302,
  APPLICATION_LOCKED: 0x9303,
  INSUFFICIENT_BALANCE: 0x9401,
  COUNTER_AT_MAXIMUM: 0x9402,
  KEY_NOT_FOUND: 0x9403,
  PROOF_NOT_AVAILABLE: 0x9406,
} as const;

export type SwName = keyof typeof SW;

const MESSAGES: ReadonlyMap<number, string> = new Map<number, string>([
  [SW.OK, 'success'],
  [SW.END_OF_FILE, 'end of file reached before Le bytes'],
  [SW.MEMORY_FAILURE, 'memory failure'],
  [SW.WRONG_LENGTH, 'wrong length'],
  [SW.SECURITY_STATUS_NOT_SATISFIED, 'security status not satisfied'],
  [SW.AUTH_METHOD_BLOCKED, 'authentication method blocked'],
  [SW.CONDITIONS_NOT_SATISFIED, 'conditions of use not satisfied'],
  [SW.INCORRECT_DATA, 'incorrect data'],
  [SW.APPLICATION_BLOCKED, 'application blocked'],
  [SW.NOT_FOUND, 'file or application not found'],
  [SW.RECORD_NOT_FOUND, 'record not found'],
  [SW.NOT_ENOUGH_MEMORY, 'not enough memory space in the file'],
  [SW.INCORRECT_P1P2, 'incorrect parameters P1-P2'],
  [SW.INS_NOT_SUPPORTED, 'instruction not supported'],
  [SW.CLA_NOT_SUPPORTED, 'class not supported'],
  [SW.NO_PRECISE_DIAGNOSIS, 'no precise diagnosis'],
  [SW.MAC_INVALID, 'MAC invalid'],
  [SW.APPLICATION_LOCKED, 'application permanently locked'],
  [SW.INSUFFICIENT_BALANCE, 'insufficient balance'],
  [SW.COUNTER_AT_MAXIMUM, 'transaction counter at maximum'],
  [SW.KEY_NOT_FOUND, 'key not found'],
  [SW.PROOF_NOT_AVAILABLE, 'requested transaction proof not available'],
]);

/** `63Cx`: verification failed, x tries left (0 to 15). */
export function swWrongPin(triesLeft: number): number {
  if (!Number.isInteger(triesLeft) || triesLeft < 0 || triesLeft > 15) {
    throw new RangeError(`tries left must be 0 to 15, got ${triesLeft}`);
  }
  return 0x63c0 | triesLeft;
}

/** Tries left carried by a `63Cx` status word, or undefined for any other status word. */
export function swTriesLeft(sw: number): number | undefined {
  return (sw & 0xfff0) === 0x63c0 ? sw & 0x0f : undefined;
}

/** Four upper-case hex digits, e.g. `6A82`. */
export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/** `"6A82 file or application not found"`; unknown status words still get their hex. */
export function swMessage(sw: number): string {
  const tries = swTriesLeft(sw);
  if (tries !== undefined) return `${swHex(sw)} verification failed, ${tries} tries left`;
  if ((sw & 0xff00) === 0x6100) return `${swHex(sw)} ${sw & 0xff || 256} more bytes available`;
  return `${swHex(sw)} ${MESSAGES.get(sw) ?? 'unknown status word'}`;
}

/** Whether `sw` is `9000`. */
export function isOk(sw: number): boolean {
  return sw === SW.OK;
}
