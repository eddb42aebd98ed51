/**
 * RESET RETRY COUNTER (ISO/IEC 7816-4, card interface spec §2-3):
 *
 * ```
 * 00 2C 00 01 10 PUK(8) ‖ newPIN(8)    unblocks PIN ref 01 with the PUK (ref 81); blocks: see pin.ts
 * response: no data; 9000 PIN reset / 63Cx PUK refused, x tries left / 6983 PUK blocked
 * ```
 * A blocked PUK blocks the ID application for good.
 */
import type { ResponseApdu } from '../apdu.js';
import { encodeCommandApdu } from '../apdu.js';
import { COMMON_ERROR_STATUS, type CardCommand, type StatusTable } from './cardCommand.js';
import { PIN_CHECK_STATUS, PIN_REFERENCE, type PinCheckResult, encodePinBlock, parsePinCheckResponse } from './pin.js';

export const RESET_RETRY_COUNTER_INS = 0x2c;

export const RESET_RETRY_COUNTER_STATUS: StatusTable = [
  ...PIN_CHECK_STATUS,
  { sw: 0x6a80, outcome: 'error', meaning: 'new PIN refused' },
  ...COMMON_ERROR_STATUS,
];

/** Encode RESET RETRY COUNTER. Throws `CommandParameterError` for a PUK that is not 8 digits or a PIN not 4-8 digits. */
export function encodeResetRetryCounter(puk: string, newPin: string): Buffer {
  const data = Buffer.concat([encodePinBlock(puk, PIN_REFERENCE.puk), encodePinBlock(newPin, PIN_REFERENCE.pin)]);
  return encodeCommandApdu({ cla: 0x00, ins: RESET_RETRY_COUNTER_INS, p1: 0x00, p2: PIN_REFERENCE.pin, data });
}

/** Interpret a RESET RETRY COUNTER answer (tries and blocking are the PUK's). Throws `ResponseDataError`. */
export function parseResetRetryCounterResponse(response: ResponseApdu): PinCheckResult {
  return parsePinCheckResponse('RESET RETRY COUNTER', response);
}

/** RESET RETRY COUNTER ready to send. Throws as {@link encodeResetRetryCounter}. */
export function resetRetryCounterCommand(puk: string, newPin: string): CardCommand<PinCheckResult> {
  return {
    name: 'RESET RETRY COUNTER',
    apdu: encodeResetRetryCounter(puk, newPin),
    statusTable: RESET_RETRY_COUNTER_STATUS,
    parse: parseResetRetryCounterResponse,
  };
}
