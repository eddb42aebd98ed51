/**
 * CHANGE REFERENCE DATA (ISO/IEC 7816-4, card interface spec §2):
 *
 * ```
 * 00 24 00 ref 10 old(8) ‖ new(8)    ref 01 PIN (or 81 PUK); blocks: see pin.ts
 * response: no data; 9000 changed / 63Cx old value refused, x tries left / 6983 blocked
 * ```
 */
import type { ResponseApdu } from '../apdu.js';
import { encodeCommandApdu } from '../apdu.js';
import { COMMON_ERROR_STATUS, type CardCommand, type StatusTable } from './cardCommand.js';
import { PIN_CHECK_STATUS, PIN_REFERENCE, type PinCheckResult, type PinReference, encodePinBlock, parsePinCheckResponse } from './pin.js';

export const CHANGE_REFERENCE_DATA_INS = 0x24;

export const CHANGE_REFERENCE_DATA_STATUS: StatusTable = [
  ...PIN_CHECK_STATUS,
  { sw: 0x6a80, outcome: 'error', meaning: 'new value refused' },
  { sw: 0x6a88, outcome: 'error', meaning: 'no such PIN reference' },
  ...COMMON_ERROR_STATUS,
];

/** Encode CHANGE REFERENCE DATA. Throws `CommandParameterError` for a malformed old or new value. */
export function encodeChangeReferenceData(
  oldPin: string,
  newPin: string,
  reference: PinReference = PIN_REFERENCE.pin,
): Buffer {
  const data = Buffer.concat([encodePinBlock(oldPin, reference), encodePinBlock(newPin, reference)]);
  return encodeCommandApdu({ cla: 0x00, ins: CHANGE_REFERENCE_DATA_INS, p1: 0x00, p2: reference, data });
}

/** Interpret a CHANGE REFERENCE DATA answer. Throws `ResponseDataError` as `parsePinCheckResponse`. */
export function parseChangeReferenceDataResponse(response: ResponseApdu): PinCheckResult {
  return parsePinCheckResponse('CHANGE REFERENCE DATA', response);
}

/** CHANGE REFERENCE DATA ready to send. Throws as {@link encodeChangeReferenceData}. */
export function changeReferenceDataCommand(
  oldPin: string,
  newPin: string,
  reference: PinReference = PIN_REFERENCE.pin,
): CardCommand<PinCheckResult> {
  return {
    name: 'CHANGE REFERENCE DATA',
    apdu: encodeChangeReferenceData(oldPin, newPin, reference),
    statusTable: CHANGE_REFERENCE_DATA_STATUS,
    parse: parseChangeReferenceDataResponse,
  };
}
