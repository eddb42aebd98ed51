/**
 * VERIFY (ISO/IEC 7816-4, card interface spec §2-3):
 *
 * ```
 * 00 20 00 ref 08 block    check a PIN (ref 01) or PUK (ref 81); block: see pin.ts
 * 00 20 00 ref             status form, no data: 9000 already verified, 63Cx not verified, x tries left
 * response: no data; 9000 / 63Cx / 6983 (blocked) are all results, see {@link PinCheckResult}
 * ```
 */
import type { ResponseApdu } from '../apdu.js';
import { encodeCommandApdu } from '../apdu.js';
import { COMMON_ERROR_STATUS, type CardCommand, type StatusTable } from './cardCommand.js';
import {
  PIN_CHECK_STATUS,
  PIN_REFERENCE,
  type PinCheckResult,
  type PinReference,
  checkPinReference,
  encodePinBlock,
  parsePinCheckResponse,
} from './pin.js';

export const VERIFY_INS = 0x20;

export const VERIFY_STATUS: StatusTable = [
  ...PIN_CHECK_STATUS,
  { sw: 0x6a88, outcome: 'error', meaning: 'no such PIN reference' },
  ...COMMON_ERROR_STATUS,
];

/** Encode VERIFY with a PIN or PUK. Throws `CommandParameterError` for a malformed PIN/PUK or reference. */
export function encodeVerify(pin: string, reference: PinReference = PIN_REFERENCE.pin): Buffer {
  return encodeCommandApdu({ cla: 0x00, ins: VERIFY_INS, p1: 0x00, p2: reference, data: encodePinBlock(pin, reference) });
}

/** Encode the status form of VERIFY (no data). Throws `CommandParameterError` for another reference. */
export function encodeVerifyStatus(reference: PinReference = PIN_REFERENCE.pin): Buffer {
  checkPinReference(reference);
  return encodeCommandApdu({ cla: 0x00, ins: VERIFY_INS, p1: 0x00, p2: reference });
}

/** Interpret a VERIFY answer. Throws `ResponseDataError` as `parsePinCheckResponse`. */
export function parseVerifyResponse(response: ResponseApdu): PinCheckResult {
  return parsePinCheckResponse('VERIFY', response);
}

/** VERIFY ready to send. Throws as {@link encodeVerify}. */
export function verifyCommand(pin: string, reference: PinReference = PIN_REFERENCE.pin): CardCommand<PinCheckResult> {
  return { name: 'VERIFY', apdu: encodeVerify(pin, reference), statusTable: VERIFY_STATUS, parse: parseVerifyResponse };
}

/** The status form of VERIFY ready to send. Throws as {@link encodeVerifyStatus}. */
export function verifyStatusCommand(reference: PinReference = PIN_REFERENCE.pin): CardCommand<PinCheckResult> {
  return { name: 'VERIFY', apdu: encodeVerifyStatus(reference), statusTable: VERIFY_STATUS, parse: parseVerifyResponse };
}
