/**
 * INITIALIZE FOR LOAD (card interface spec §4), the first half of an online load:
 *
 * ```
 * 80 50 00 02 0B  key index (1) ‖ amount (4) ‖ terminal no. (6)  10
 * response: balance (4) ‖ online counter (2) ‖ key version (1) ‖ alg id (1) ‖ random (4) ‖ MAC1 (4)
 * 6985 the new balance would pass the max balance; 9402 online counter at FFFF
 * ```
 * MAC1 is the card's, under SESLK, over old balance ‖ amount ‖ `02` ‖ terminal: only the HSM can
 * check it (and answer MAC2 for CREDIT FOR LOAD).
 */
import type { ResponseApdu } from '../../apdu.js';
import { encodeCommandApdu } from '../../apdu.js';
import { readUintBE } from '../../bytes.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  type StatusTable,
  checkIntParameter,
  requireDataLength,
  requireResultStatus,
} from '../cardCommand.js';
import { EP_STATE_STATUS, PURSE_CLA, PURSE_KEY_INDEX, TERMINAL_NUMBER_LENGTH, checkAmount, checkBytes } from './purseCommon.js';

export const INITIALIZE_INS = 0x50;
/** P1 of INITIALIZE: `00` load, `01` purchase. P2 `02`: the EP (not an ED). */
export const INITIALIZE_P1_LOAD = 0x00;
export const INITIALIZE_P1_PURCHASE = 0x01;
export const INITIALIZE_P2_EP = 0x02;
/** Bytes of the INITIALIZE FOR LOAD answer (its Le). */
export const INITIALIZE_FOR_LOAD_RESPONSE_LENGTH = 16;

export interface InitializeForLoadInput {
  /** Amount to load, 0 to 2^32-1 (the CityCard EP answers 6A80 to 0). */
  readonly amount: number;
  /** Terminal number, 6 bytes. */
  readonly terminal: Uint8Array;
  /** Key index 1 to 255; default `01`. */
  readonly keyIndex?: number;
}

export interface InitializeForLoadResult {
  /** Balance before the load. */
  readonly balance: number;
  /** Online counter before the load (it enters SESLK and the load TAC). */
  readonly onlineCounter: number;
  readonly keyVersion: number;
  readonly algorithmId: number;
  /** Card random, 4 bytes. */
  readonly random: Buffer;
  /** Card MAC1, 4 bytes. */
  readonly mac1: Buffer;
}

export const INITIALIZE_FOR_LOAD_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'load initialized' },
  { sw: 0x6985, outcome: 'error', meaning: 'the new balance would pass the maximum balance' },
  { sw: 0x9402, outcome: 'error', meaning: 'online counter at its maximum' },
  { sw: 0x9403, outcome: 'error', meaning: 'load key not found' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data (amount 0)' },
  ...EP_STATE_STATUS,
  ...COMMON_ERROR_STATUS,
];

/** Encode INITIALIZE FOR LOAD. Throws `CommandParameterError` for an amount, terminal or key index out of range. */
export function encodeInitializeForLoad(input: InitializeForLoadInput): Buffer {
  const keyIndex = input.keyIndex ?? PURSE_KEY_INDEX;
  checkIntParameter('keyIndex', keyIndex, 1, 0xff);
  checkAmount('amount', input.amount);
  checkBytes('terminal', input.terminal, TERMINAL_NUMBER_LENGTH);
  const data = Buffer.alloc(11);
  data[0] = keyIndex;
  data.writeUInt32BE(input.amount, 1);
  data.set(input.terminal, 5);
  return encodeCommandApdu({
    cla: PURSE_CLA,
    ins: INITIALIZE_INS,
    p1: INITIALIZE_P1_LOAD,
    p2: INITIALIZE_P2_EP,
    data,
    le: INITIALIZE_FOR_LOAD_RESPONSE_LENGTH,
  });
}

/** The card's answer. Throws `ResponseDataError` unless it is 16 bytes with 9000. */
export function parseInitializeForLoadResponse(response: ResponseApdu): InitializeForLoadResult {
  requireResultStatus('INITIALIZE FOR LOAD', response.sw, 0x9000);
  requireDataLength('INITIALIZE FOR LOAD', response.data, INITIALIZE_FOR_LOAD_RESPONSE_LENGTH);
  const d = response.data;
  return {
    balance: readUintBE(d, 0, 4),
    onlineCounter: readUintBE(d, 4, 2),
    keyVersion: d[6]!,
    algorithmId: d[7]!,
    random: Buffer.from(d.subarray(8, 12)),
    mac1: Buffer.from(d.subarray(12, 16)),
  };
}

/** INITIALIZE FOR LOAD ready to send. Throws as {@link encodeInitializeForLoad}. */
export function initializeForLoadCommand(input: InitializeForLoadInput): CardCommand<InitializeForLoadResult> {
  return {
    name: 'INITIALIZE FOR LOAD',
    apdu: encodeInitializeForLoad(input),
    statusTable: INITIALIZE_FOR_LOAD_STATUS,
    parse: parseInitializeForLoadResponse,
  };
}
