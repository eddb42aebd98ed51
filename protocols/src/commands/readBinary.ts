/**
 * READ BINARY (ISO/IEC 7816-4, card interface spec §2):
 *
 * ```
 * 00 B0 P1 P2 Le     P1 P2: see fileAddress.ts (SFI form 80|SFI offset, or offset form 0000..7FFF)
 *                    Le 01..FF, 00 = 256
 * response: data (exactly Le bytes with 9000; fewer with 6282)
 * ```
 * A file longer than 256 bytes is read by SFI first, then by offset in the (now current) EF.
 */
import type { ResponseApdu } from '../apdu.js';
import { encodeCommandApdu } from '../apdu.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  ResponseDataError,
  type StatusTable,
  checkIntParameter,
  requireResultStatus,
} from './cardCommand.js';
import { type BinaryTarget, binaryP1P2 } from './fileAddress.js';

export const READ_BINARY_INS = 0xb0;

export interface ReadBinaryResult {
  readonly data: Buffer;
  /** True when the card answered 6282: the file ended before Le bytes. */
  readonly endOfFile: boolean;
}

export const READ_BINARY_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'Le bytes read' },
  { sw: 0x6282, outcome: 'result', meaning: 'end of file reached before Le bytes' },
  { sw: 0x6981, outcome: 'error', meaning: 'not a transparent file' },
  { sw: 0x6982, outcome: 'error', meaning: 'security status not satisfied (PIN not verified)' },
  { sw: 0x6985, outcome: 'error', meaning: 'conditions of use not satisfied' },
  { sw: 0x6986, outcome: 'error', meaning: 'no current EF' },
  { sw: 0x6a82, outcome: 'error', meaning: 'file not found' },
  { sw: 0x6b00, outcome: 'error', meaning: 'offset beyond the end of the file' },
  ...COMMON_ERROR_STATUS,
];

/** Encode READ BINARY. `le` 1..256. Throws `CommandParameterError` for an SFI, offset or Le out of range. */
export function encodeReadBinary(target: BinaryTarget, le = 256): Buffer {
  checkIntParameter('le', le, 1, 256);
  const { p1, p2 } = binaryP1P2(target);
  return encodeCommandApdu({ cla: 0x00, ins: READ_BINARY_INS, p1, p2, le });
}

/**
 * Data of a READ BINARY response to a command with `le`. Throws `ResponseDataError` when 9000
 * does not carry exactly `le` bytes, 6282 carries `le` or more, or the status is neither.
 */
export function parseReadBinaryResponse(response: ResponseApdu, le: number): ReadBinaryResult {
  requireResultStatus('READ BINARY', response.sw, 0x9000, 0x6282);
  const n = response.data.length;
  if (response.sw === 0x9000 && n !== le) {
    throw new ResponseDataError(`READ BINARY: 9000 with ${n} bytes for Le ${le}`);
  }
  if (response.sw === 0x6282 && n >= le) {
    throw new ResponseDataError(`READ BINARY: end of file with ${n} bytes for Le ${le}`);
  }
  return { data: response.data, endOfFile: response.sw === 0x6282 };
}

/** READ BINARY ready to send. Throws as {@link encodeReadBinary}. */
export function readBinaryCommand(target: BinaryTarget, le = 256): CardCommand<ReadBinaryResult> {
  return {
    name: 'READ BINARY',
    apdu: encodeReadBinary(target, le),
    statusTable: READ_BINARY_STATUS,
    parse: (response) => parseReadBinaryResponse(response, le),
  };
}
