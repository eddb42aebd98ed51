/**
 * MAC1 for purchase, on the PSAM (card interface spec §5): the PSAM diversifies DPK from MPK of
 * the card's key version, derives SESPK, assigns the next TTSN and MACs the purchase.
 *
 * ```
 * 80 70 00 00 1C  card random (4) ‖ offline counter (2) ‖ amount (4) ‖ type (1) ‖ date (4)
 *                 ‖ time (3) ‖ key version (1) ‖ alg id (1) ‖ card number (8)  08
 * response: TTSN (4) ‖ MAC1 (4)
 * 9403: the PSAM holds no MPK of that key version
 * ```
 */
import type { ResponseApdu } from '../../apdu.js';
import { encodeCommandApdu } from '../../apdu.js';
import { readUintBE } from '../../bytes.js';
import { EP_PURCHASE } from '../../crypto/purse.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  type StatusTable,
  checkIntParameter,
  requireDataLength,
  requireResultStatus,
} from '../cardCommand.js';
import {
  PURSE_ALGORITHM_3DES,
  PURSE_CLA,
  RANDOM_LENGTH,
  checkAmount,
  checkBcdCardNumber,
  checkBcdDate,
  checkBcdTime,
  checkBytes,
  checkCounter,
} from './purseCommon.js';

export const PSAM_MAC1_INS = 0x70;

export interface PsamMac1Input {
  /** Card random from INITIALIZE FOR PURCHASE, 4 bytes. */
  readonly random: Uint8Array;
  /** Offline counter from INITIALIZE FOR PURCHASE. */
  readonly offlineCounter: number;
  readonly amount: number;
  /** Transaction type; default `06` (EP purchase). */
  readonly type?: number;
  /** 4 bytes BCD. */
  readonly date: Uint8Array;
  /** 3 bytes BCD. */
  readonly time: Uint8Array;
  /** Key version from INITIALIZE FOR PURCHASE, 0 to 255. */
  readonly keyVersion: number;
  /** Algorithm id; default `00`. */
  readonly algorithmId?: number;
  /** Card number, 8 bytes BCD (from EF 0x15). */
  readonly cardNumber: Uint8Array;
}

export interface PsamMac1Result {
  /** Terminal transaction sequence number assigned to this purchase. */
  readonly ttsn: number;
  /** MAC1 for DEBIT FOR PURCHASE, 4 bytes. */
  readonly mac1: Buffer;
}

export const PSAM_MAC1_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'MAC1 computed' },
  { sw: 0x9403, outcome: 'error', meaning: 'no purchase master key of that key version' },
  { sw: 0x9402, outcome: 'error', meaning: 'TTSN at its maximum' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data' },
  { sw: 0x6985, outcome: 'error', meaning: 'conditions of use not satisfied' },
  ...COMMON_ERROR_STATUS,
];

/** Encode MAC1 for purchase. Throws `CommandParameterError` for a field out of range or of the wrong length. */
export function encodePsamMac1(input: PsamMac1Input): Buffer {
  const type = input.type ?? EP_PURCHASE;
  const algorithmId = input.algorithmId ?? PURSE_ALGORITHM_3DES;
  checkBytes('random', input.random, RANDOM_LENGTH);
  checkCounter('offlineCounter', input.offlineCounter);
  checkAmount('amount', input.amount);
  checkIntParameter('type', type, 0, 0xff);
  checkBcdDate('date', input.date);
  checkBcdTime('time', input.time);
  checkIntParameter('keyVersion', input.keyVersion, 0, 0xff);
  checkIntParameter('algorithmId', algorithmId, 0, 0xff);
  checkBcdCardNumber('cardNumber', input.cardNumber);
  const data = Buffer.alloc(28);
  data.set(input.random, 0);
  data.writeUInt16BE(input.offlineCounter, 4);
  data.writeUInt32BE(input.amount, 6);
  data[10] = type;
  data.set(input.date, 11);
  data.set(input.time, 15);
  data[18] = input.keyVersion;
  data[19] = algorithmId;
  data.set(input.cardNumber, 20);
  return encodeCommandApdu({ cla: PURSE_CLA, ins: PSAM_MAC1_INS, p1: 0x00, p2: 0x00, data, le: 8 });
}

/** TTSN and MAC1. Throws `ResponseDataError` unless the answer is 8 bytes with 9000. */
export function parsePsamMac1Response(response: ResponseApdu): PsamMac1Result {
  requireResultStatus('MAC1 FOR PURCHASE', response.sw, 0x9000);
  requireDataLength('MAC1 FOR PURCHASE', response.data, 8);
  return { ttsn: readUintBE(response.data, 0, 4), mac1: Buffer.from(response.data.subarray(4, 8)) };
}

/** MAC1 for purchase ready to send to the PSAM. Throws as {@link encodePsamMac1}. */
export function psamMac1Command(input: PsamMac1Input): CardCommand<PsamMac1Result> {
  return { name: 'MAC1 FOR PURCHASE', apdu: encodePsamMac1(input), statusTable: PSAM_MAC1_STATUS, parse: parsePsamMac1Response };
}
