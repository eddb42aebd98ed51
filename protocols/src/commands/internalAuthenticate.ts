/**
 * INTERNAL AUTHENTICATE of the ID application (card interface spec §3):
 *
 * ```
 * 00 88 00 P2 Lc challenge 00    P2 01 card authentication (no PIN needed)
 *                                P2 02 cardholder authentication (PIN verified since power-on/SELECT, else 6982)
 *                                challenge 16..64 bytes
 * response: 256 bytes, RSASSA-PKCS1-v1_5 with SHA-256 by the card key over
 *           "CITYCARD-AUTH" (13 ASCII bytes) ‖ P2 ‖ challenge
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

export const INTERNAL_AUTHENTICATE_INS = 0x88;

export const AUTH_MODE = { card: 0x01, cardholder: 0x02 } as const;
/** P2: `01` card authentication, `02` cardholder authentication. */
export type AuthMode = (typeof AUTH_MODE)[keyof typeof AUTH_MODE];

/** The 13 ASCII bytes that start every signed authentication message. */
export const AUTH_MESSAGE_PREFIX = Buffer.from('CITYCARD-AUTH', 'ascii');
export const MIN_AUTH_CHALLENGE = 16;
export const MAX_AUTH_CHALLENGE = 64;
/** Length of an RSA-2048 signature. */
export const AUTH_SIGNATURE_LENGTH = 256;

export const INTERNAL_AUTHENTICATE_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'signature computed' },
  { sw: 0x6982, outcome: 'error', meaning: 'cardholder authentication needs the PIN verified first' },
  { sw: 0x6985, outcome: 'error', meaning: 'conditions of use not satisfied (no card key)' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect challenge' },
  ...COMMON_ERROR_STATUS,
];

/** Encode INTERNAL AUTHENTICATE. Throws `CommandParameterError` for another P2 or a challenge not 16..64 bytes. */
export function encodeInternalAuthenticate(mode: AuthMode, challenge: Uint8Array): Buffer {
  checkAuth(mode, challenge);
  return encodeCommandApdu({ cla: 0x00, ins: INTERNAL_AUTHENTICATE_INS, p1: 0x00, p2: mode, data: challenge, le: 256 });
}

/** The signature. Throws `ResponseDataError` unless it is exactly 256 bytes with 9000. */
export function parseInternalAuthenticateResponse(response: ResponseApdu): Buffer {
  requireResultStatus('INTERNAL AUTHENTICATE', response.sw, 0x9000);
  requireDataLength('INTERNAL AUTHENTICATE', response.data, AUTH_SIGNATURE_LENGTH);
  return response.data;
}

/**
 * The message the card signs, for verifiers: `"CITYCARD-AUTH" ‖ P2 ‖ challenge`. Throws
 * `CommandParameterError` as {@link encodeInternalAuthenticate}.
 */
export function authSignedMessage(mode: AuthMode, challenge: Uint8Array): Buffer {
  checkAuth(mode, challenge);
  return Buffer.concat([AUTH_MESSAGE_PREFIX, Buffer.from([mode]), challenge]);
}

/** INTERNAL AUTHENTICATE ready to send. Throws as {@link encodeInternalAuthenticate}. */
export function internalAuthenticateCommand(mode: AuthMode, challenge: Uint8Array): CardCommand<Buffer> {
  return {
    name: 'INTERNAL AUTHENTICATE',
    apdu: encodeInternalAuthenticate(mode, challenge),
    statusTable: INTERNAL_AUTHENTICATE_STATUS,
    parse: parseInternalAuthenticateResponse,
  };
}

function checkAuth(mode: number, challenge: Uint8Array): void {
  if (mode !== AUTH_MODE.card && mode !== AUTH_MODE.cardholder) {
    throw new CommandParameterError('mode', `INTERNAL AUTHENTICATE P2 must be 01 or 02, got ${mode}`);
  }
  if (challenge.length < MIN_AUTH_CHALLENGE || challenge.length > MAX_AUTH_CHALLENGE) {
    throw new CommandParameterError(
      'challenge',
      `challenge must be ${MIN_AUTH_CHALLENGE} to ${MAX_AUTH_CHALLENGE} bytes, got ${challenge.length}`,
    );
  }
}
