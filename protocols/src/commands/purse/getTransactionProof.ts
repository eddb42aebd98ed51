/**
 * GET TRANSACTION PROOF (card interface spec §4 and §6), how a terminal that lost the answer to
 * DEBIT or CREDIT learns whether it happened:
 *
 * ```
 * 80 5A 00 type 02  counter (2)  08      type 02 load (online counter), 06 purchase (offline counter)
 *                                        counter: as it stands after the transaction
 * response: MAC2 (4) ‖ TAC (4) of that transaction; 9406 if it never committed
 * ```
 */
import type { ResponseApdu } from '../../apdu.js';
import { encodeCommandApdu } from '../../apdu.js';
import { EP_LOAD, EP_PURCHASE } from '../../crypto/purse.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  CommandParameterError,
  ResponseDataError,
  type StatusTable,
  requireDataLength,
  requireResultStatus,
} from '../cardCommand.js';
import { EP_STATE_STATUS, PURSE_CLA, checkCounter } from './purseCommon.js';

export const GET_TRANSACTION_PROOF_INS = 0x5a;

/** Transaction type of the proof asked for: `02` load, `06` purchase. */
export type ProofType = typeof EP_LOAD | typeof EP_PURCHASE;

export type TransactionProof =
  /** The transaction committed: its MAC2 and TAC, 4 bytes each. */
  | { readonly available: true; readonly mac2: Buffer; readonly tac: Buffer }
  /** `9406`: no transaction of that type committed with that counter. */
  | { readonly available: false };

export const GET_TRANSACTION_PROOF_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'proof of the transaction' },
  { sw: 0x9406, outcome: 'result', meaning: 'no such transaction committed' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data' },
  ...EP_STATE_STATUS,
  ...COMMON_ERROR_STATUS,
];

/** Encode GET TRANSACTION PROOF. Throws `CommandParameterError` for a type other than 02/06 or a counter out of range. */
export function encodeGetTransactionProof(type: ProofType, counter: number): Buffer {
  if (type !== EP_LOAD && type !== EP_PURCHASE) {
    throw new CommandParameterError('type', `proof type must be 02 (load) or 06 (purchase), got ${String(type)}`);
  }
  checkCounter('counter', counter);
  const data = Buffer.from([counter >> 8, counter & 0xff]);
  return encodeCommandApdu({ cla: PURSE_CLA, ins: GET_TRANSACTION_PROOF_INS, p1: 0x00, p2: type, data, le: 8 });
}

/** The proof, or `{ available: false }` for 9406. Throws `ResponseDataError` for other lengths or data with 9406. */
export function parseGetTransactionProofResponse(response: ResponseApdu): TransactionProof {
  requireResultStatus('GET TRANSACTION PROOF', response.sw, 0x9000, 0x9406);
  if (response.sw === 0x9406) {
    if (response.data.length !== 0) throw new ResponseDataError('GET TRANSACTION PROOF: data with 9406');
    return { available: false };
  }
  requireDataLength('GET TRANSACTION PROOF', response.data, 8);
  return { available: true, mac2: Buffer.from(response.data.subarray(0, 4)), tac: Buffer.from(response.data.subarray(4, 8)) };
}

/** GET TRANSACTION PROOF ready to send. Throws as {@link encodeGetTransactionProof}. */
export function getTransactionProofCommand(type: ProofType, counter: number): CardCommand<TransactionProof> {
  return {
    name: 'GET TRANSACTION PROOF',
    apdu: encodeGetTransactionProof(type, counter),
    statusTable: GET_TRANSACTION_PROOF_STATUS,
    parse: parseGetTransactionProofResponse,
  };
}
