/**
 * GET CHALLENGE (ISO/IEC 7816-4, card interface spec §2):
 *
 * ```
 * 00 84 00 00 Le     Le 04 or 08
 * response: Le random bytes for the next secured command
 * ```
 */
import type { ResponseApdu } from '../apdu.js';
import { encodeCommandApdu } from '../apdu.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  CommandParameterError,
  type StatusTable,
  requireDataLength,
  requireResultStatus,
} from './cardCommand.js';

export const GET_CHALLENGE_INS = 0x84;

export type ChallengeLength = 4 | 8;

export const GET_CHALLENGE_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'challenge issued' },
  ...COMMON_ERROR_STATUS,
];

/** Encode GET CHALLENGE. Throws `CommandParameterError` for a length other than 4 or 8. */
export function encodeGetChallenge(length: ChallengeLength = 4): Buffer {
  if (length !== 4 && length !== 8) {
    throw new CommandParameterError('length', `challenge length must be 4 or 8, got ${String(length)}`);
  }
  return encodeCommandApdu({ cla: 0x00, ins: GET_CHALLENGE_INS, p1: 0x00, p2: 0x00, le: length });
}

/** The challenge. Throws `ResponseDataError` unless it is exactly `length` bytes with 9000. */
export function parseGetChallengeResponse(response: ResponseApdu, length: ChallengeLength = 4): Buffer {
  requireResultStatus('GET CHALLENGE', response.sw, 0x9000);
  requireDataLength('GET CHALLENGE', response.data, length);
  return response.data;
}

/** GET CHALLENGE ready to send. Throws as {@link encodeGetChallenge}. */
export function getChallengeCommand(length: ChallengeLength = 4): CardCommand<Buffer> {
  return {
    name: 'GET CHALLENGE',
    apdu: encodeGetChallenge(length),
    statusTable: GET_CHALLENGE_STATUS,
    parse: (response) => parseGetChallengeResponse(response, length),
  };
}
