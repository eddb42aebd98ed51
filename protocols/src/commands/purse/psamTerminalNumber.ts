/**
 * The PSAM's terminal number, EF 0x16 (card interface spec §5):
 *
 * ```
 * 00 B0 96 00 06
 * response: terminal number (6)
 * ```
 */
import type { ResponseApdu } from '../../apdu.js';
import { type CardCommand, requireDataLength, requireResultStatus } from '../cardCommand.js';
import { READ_BINARY_STATUS, encodeReadBinary } from '../readBinary.js';
import { PSAM_SFI_TERMINAL, TERMINAL_NUMBER_LENGTH } from './purseCommon.js';

/** Encode READ BINARY of EF 0x16: `00 B0 96 00 06`. */
export function encodeReadPsamTerminalNumber(): Buffer {
  return encodeReadBinary({ sfi: PSAM_SFI_TERMINAL }, TERMINAL_NUMBER_LENGTH);
}

/** The terminal number, 6 bytes. Throws `ResponseDataError` unless 6 bytes came with 9000. */
export function parseReadPsamTerminalNumberResponse(response: ResponseApdu): Buffer {
  requireResultStatus('READ BINARY EF 16', response.sw, 0x9000);
  requireDataLength('READ BINARY EF 16', response.data, TERMINAL_NUMBER_LENGTH);
  return Buffer.from(response.data);
}

/** READ BINARY of the terminal number ready to send to the PSAM. */
export function readPsamTerminalNumberCommand(): CardCommand<Buffer> {
  return {
    name: 'READ BINARY EF 16',
    apdu: encodeReadPsamTerminalNumber(),
    statusTable: READ_BINARY_STATUS,
    parse: parseReadPsamTerminalNumberResponse,
  };
}
