/**
 * INITIALIZE FOR PURCHASE (card interface spec §4), the first half of an offline purchase:
 *
 * ```
 * 80 50 01 02 0B  key index (1) ‖ amount (4) ‖ terminal no. (6)  0F
 * response: balance (4) ‖ offline counter (2) ‖ overdraft limit (3) ‖ key version (1) ‖ alg id (1) ‖ random (4)
 * 9401 amount above the balance; 6985 amount above the max single purchase; 9402 counter at FFFF
 * ```
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
import { INITIALIZE_INS, INITIALIZE_P1_PURCHASE, INITIALIZE_P2_EP } from './initializeForLoad.js';
import { EP_STATE_STATUS, PURSE_CLA, PURSE_KEY_INDEX, TERMINAL_NUMBER_LENGTH, checkAmount, checkBytes } from './purseCommon.js';

/** Bytes of the INITIALIZE FOR PURCHASE answer (its Le). */
export const INITIALIZE_FOR_PURCHASE_RESPONSE_LENGTH = 15;

export interface InitializeForPurchaseInput {
  /** Amount to debit, 0 to 2^32-1 (the CityCard EP answers 6A80 to 0). */
  readonly amount: number;
  /** Terminal number, 6 bytes. */
  readonly terminal: Uint8Array;
  /** Key index 1 to 255; default `01`. */
  readonly keyIndex?: number;
}

export interface InitializeForPurchaseResult {
  /** Balance before the purchase. */
  readonly balance: number;
  /** Offline counter before the purchase. */
  readonly offlineCounter: number;
  /** Overdraft limit, 0 to 2^24-1 (`000000` on CityCard). */
  readonly overdraftLimit: number;
  readonly keyVersion: number;
  readonly algorithmId: number;
  /** Card random, 4 bytes. */
  readonly random: Buffer;
}

export const INITIALIZE_FOR_PURCHASE_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'purchase initialized' },
  { sw: 0x9401, outcome: 'error', meaning: 'insufficient balance' },
  { sw: 0x6985, outcome: 'error', meaning: 'amount above the maximum single purchase' },
  { sw: 0x9402, outcome: 'error', meaning: 'offline counter at its maximum' },
  { sw: 0x9403, outcome: 'error', meaning: 'purchase key not found' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data (amount 0)' },
  ...EP_STATE_STATUS,
  ...COMMON_ERROR_STATUS,
];

/** Encode INITIALIZE FOR PURCHASE. Throws `CommandParameterError` for an amount, terminal or key index out of range. */
export function encodeInitializeForPurchase(input: InitializeForPurchaseInput): Buffer {
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
    p1: INITIALIZE_P1_PURCHASE,
    p2: INITIALIZE_P2_EP,
    data,
    le: INITIALIZE_FOR_PURCHASE_RESPONSE_LENGTH,
  });
}

/** The card's answer. Throws `ResponseDataError` unless it is 15 bytes with 9000. */
export function parseInitializeForPurchaseResponse(response: ResponseApdu): InitializeForPurchaseResult {
  requireResultStatus('INITIALIZE FOR PURCHASE', response.sw, 0x9000);
  requireDataLength('INITIALIZE FOR PURCHASE', response.data, INITIALIZE_FOR_PURCHASE_RESPONSE_LENGTH);
  const d = response.data;
  return {
    balance: readUintBE(d, 0, 4),
    offlineCounter: readUintBE(d, 4, 2),
    overdraftLimit: readUintBE(d, 6, 3),
    keyVersion: d[9]!,
    algorithmId: d[10]!,
    random: Buffer.from(d.subarray(11, 15)),
  };
}

/** INITIALIZE FOR PURCHASE ready to send. Throws as {@link encodeInitializeForPurchase}. */
export function initializeForPurchaseCommand(input: InitializeForPurchaseInput): CardCommand<InitializeForPurchaseResult> {
  return {
    name: 'INITIALIZE FOR PURCHASE',
    apdu: encodeInitializeForPurchase(input),
    statusTable: INITIALIZE_FOR_PURCHASE_STATUS,
    parse: parseInitializeForPurchaseResponse,
  };
}
