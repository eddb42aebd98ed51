/**
 * GET BALANCE (card interface spec §4):
 *
 * ```
 * 80 5C 00 02 04
 * response: balance (4)
 * ```
 */
import type { ResponseApdu } from '../../apdu.js';
import { encodeCommandApdu } from '../../apdu.js';
import { readUintBE } from '../../bytes.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  type StatusTable,
  requireDataLength,
  requireResultStatus,
} from '../cardCommand.js';
import { EP_STATE_STATUS, PURSE_CLA } from './purseCommon.js';

export const GET_BALANCE_INS = 0x5c;
/** P2 `02`: the EP's balance. */
export const GET_BALANCE_P2_EP = 0x02;

export const GET_BALANCE_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'balance read' },
  { sw: 0x6985, outcome: 'error', meaning: 'conditions of use not satisfied' },
  ...EP_STATE_STATUS,
  ...COMMON_ERROR_STATUS,
];

/** Encode GET BALANCE. */
export function encodeGetBalance(): Buffer {
  return encodeCommandApdu({ cla: PURSE_CLA, ins: GET_BALANCE_INS, p1: 0x00, p2: GET_BALANCE_P2_EP, le: 4 });
}

/** The balance, 0 to 2^32-1. Throws `ResponseDataError` unless the answer is 4 bytes with 9000. */
export function parseGetBalanceResponse(response: ResponseApdu): number {
  requireResultStatus('GET BALANCE', response.sw, 0x9000);
  requireDataLength('GET BALANCE', response.data, 4);
  return readUintBE(response.data, 0, 4);
}

/** GET BALANCE ready to send. */
export function getBalanceCommand(): CardCommand<number> {
  return { name: 'GET BALANCE', apdu: encodeGetBalance(), statusTable: GET_BALANCE_STATUS, parse: parseGetBalanceResponse };
}
