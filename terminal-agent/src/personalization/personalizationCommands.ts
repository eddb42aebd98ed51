/**
 * The personalization commands as the station sends them (docs/personalization.md §2 and §3).
 * The station builds only INITIALIZE PERSONALIZATION itself; every other command comes complete
 * from the HSM (encrypted and MACed) and is relayed as is, with the status words below.
 *
 * ```
 * INITIALIZE PERSONALIZATION   80 1A 00 00 08 RH(8) 00  →  CSN (8) ‖ RC (8) ‖ card cryptogram (8)
 * EXTERNAL AUTHENTICATE        84 82 00 00 10 host cryptogram ‖ C-MAC
 * PUT KEY                      84 D8 version id Lc ENC ‖ C-MAC
 * STORE DATA                   84 E2 00 00 Lc ENC ‖ C-MAC
 * GENERATE KEY PAIR            84 46 00 00 08 C-MAC 00  →  modulus (256)
 * END PERSONALIZATION          84 F0 00 00 08 C-MAC
 * ```
 */
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  CommandParameterError,
  type ResponseApdu,
  type StatusTable,
  encodeCommandApdu,
  requireDataLength,
  requireResultStatus,
} from '@citycard/protocols';

export const INITIALIZE_PERSONALIZATION_INS = 0x1a;
/** Bytes of RH, RC, the CSN and the cryptograms. */
export const PERSONALIZATION_BLOCK = 8;
/** Bytes of the modulus GENERATE KEY PAIR answers. */
export const CARD_MODULUS_LENGTH = 256;

export const INITIALIZE_PERSONALIZATION_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'session started' },
  { sw: 0x6985, outcome: 'error', meaning: 'not a blank card (already personalized, or no transport key)' },
  ...COMMON_ERROR_STATUS,
];

/** Status words of every relayed (secured) command. */
export const SECURED_COMMAND_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'done' },
  { sw: 0x6982, outcome: 'error', meaning: 'cryptogram or C-MAC refused: the card closed the session' },
  { sw: 0x6985, outcome: 'error', meaning: 'out of order, or something required is missing' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data (padding, key check value, PIN block, object or offset)' },
  { sw: 0x6a84, outcome: 'error', meaning: 'object larger than its maximum size' },
  ...COMMON_ERROR_STATUS,
];

export interface InitializePersonalizationResult {
  /** Chip serial number, 8 bytes. */
  readonly csn: Buffer;
  /** RC, 8 bytes. */
  readonly cardRandom: Buffer;
  /** MAC3(S-MAC, 0, RH ‖ RC), 8 bytes. */
  readonly cardCryptogram: Buffer;
}

/** Encode INITIALIZE PERSONALIZATION. Throws `CommandParameterError` unless RH is 8 bytes. */
export function encodeInitializePersonalization(hostRandom: Uint8Array): Buffer {
  if (hostRandom.length !== PERSONALIZATION_BLOCK) {
    throw new CommandParameterError('hostRandom', `RH must be ${PERSONALIZATION_BLOCK} bytes, got ${hostRandom.length}`);
  }
  return encodeCommandApdu({ cla: 0x80, ins: INITIALIZE_PERSONALIZATION_INS, p1: 0x00, p2: 0x00, data: hostRandom, le: 256 });
}

/** CSN, RC and card cryptogram. Throws `ResponseDataError` unless 24 bytes came with 9000. */
export function parseInitializePersonalizationResponse(response: ResponseApdu): InitializePersonalizationResult {
  requireResultStatus('INITIALIZE PERSONALIZATION', response.sw, 0x9000);
  requireDataLength('INITIALIZE PERSONALIZATION', response.data, 3 * PERSONALIZATION_BLOCK);
  const data = response.data;
  return {
    csn: Buffer.from(data.subarray(0, 8)),
    cardRandom: Buffer.from(data.subarray(8, 16)),
    cardCryptogram: Buffer.from(data.subarray(16, 24)),
  };
}

/** INITIALIZE PERSONALIZATION ready to send. Throws as {@link encodeInitializePersonalization}. */
export function initializePersonalizationCommand(hostRandom: Uint8Array): CardCommand<InitializePersonalizationResult> {
  return {
    name: 'INITIALIZE PERSONALIZATION',
    apdu: encodeInitializePersonalization(hostRandom),
    statusTable: INITIALIZE_PERSONALIZATION_STATUS,
    parse: parseInitializePersonalizationResponse,
  };
}

const SECURED_NAMES: ReadonlyMap<number, string> = new Map([
  [0x82, 'EXTERNAL AUTHENTICATE'],
  [0xd8, 'PUT KEY'],
  [0xe2, 'STORE DATA'],
  [0x46, 'GENERATE KEY PAIR'],
  [0xf0, 'END PERSONALIZATION'],
]);

/** The name of a secured command by its INS, for trails and errors. */
export function securedCommandName(apdu: Uint8Array): string {
  return SECURED_NAMES.get(apdu[1] ?? -1) ?? 'SECURED COMMAND';
}

/** A secured command the HSM built, relayed as is; the answer carries no data. */
export function relayedCommand(apdu: Uint8Array): CardCommand<void> {
  const name = securedCommandName(apdu);
  return {
    name,
    apdu: Buffer.from(apdu),
    statusTable: SECURED_COMMAND_STATUS,
    parse: (response) => {
      requireResultStatus(name, response.sw, 0x9000);
      requireDataLength(name, response.data, 0);
    },
  };
}

/** GENERATE KEY PAIR as the HSM built it; the answer is the 256-byte modulus. */
export function relayedGenerateKeyPair(apdu: Uint8Array): CardCommand<Buffer> {
  return {
    name: 'GENERATE KEY PAIR',
    apdu: Buffer.from(apdu),
    statusTable: SECURED_COMMAND_STATUS,
    parse: (response) => {
      requireResultStatus('GENERATE KEY PAIR', response.sw, 0x9000);
      requireDataLength('GENERATE KEY PAIR', response.data, CARD_MODULUS_LENGTH);
      return Buffer.from(response.data);
    },
  };
}
