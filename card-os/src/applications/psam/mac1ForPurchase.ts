/**
 * MAC1 for purchase (card interface spec §4.1 and §5):
 *
 * ```
 * 80 70 00 00 1C data [Le]
 * data: card random (4) ‖ offline counter (2) ‖ amount (4) ‖ type (1) ‖ date (4, BCD) ‖
 *       time (3, BCD) ‖ key version (1) ‖ alg id (1) ‖ card number (8, BCD)
 * response: TTSN (4) ‖ MAC1 (4)
 * DPK   = diversify(MPK[key version], card number)
 * SESPK = 3DES(DPK, card random ‖ offline counter ‖ TTSN[2..3])
 * MAC1  = MAC(SESPK, amount ‖ type ‖ terminal number ‖ date ‖ time)
 * ```
 * The PSAM assigns the TTSN (the last one + 1) and commits it BEFORE the MAC1 leaves the card, so
 * no power cut can make it issue one TTSN twice; a MAC1 lost in a power cut only leaves a gap.
 *
 * Answers, in the order checked: `6A86` P1-P2 not 00 00; `6700` data not 28 bytes or Le below 8;
 * `6985` no terminal number (not personalized); `6A80` type not 06 (purchase), date or time not a
 * valid BCD date/time, card number not BCD; `9403` algorithm id not 00 or no MPK of that key
 * version (a PSAM key is found by key version and algorithm); `9402` TTSN at FFFFFFFF; `6581` when
 * the stored TTSN is damaged or its commit fails (then nothing is issued).
 */
import {
  EP_PURCHASE,
  SW,
  decodeBcd,
  decodeBcdDate,
  decodeBcdTime,
  diversifyKey,
  purchaseMac1,
  purchaseMac2,
  purchaseSessionKey,
  type CommandApdu,
} from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import { respond } from '../../runtime/response.js';
import { StoreTransaction } from '../../runtime/transaction.js';
import {
  MAX_TTSN,
  PSAM_TTSN_KEY,
  encodeTtsn,
  storedMpk,
  storedTerminalNumber,
  storedTtsn,
} from './psamStore.js';
import type { PsamState } from './psamState.js';

/** Bytes of the MAC1 for purchase command data. */
export const MAC1_REQUEST_LENGTH = 28;
/** Bytes of its response data: TTSN ‖ MAC1. */
export const MAC1_RESPONSE_LENGTH = 8;
/** The only algorithm id the PSAM serves: the 3DES suite of spec §4.1. */
export const ALG_3DES = 0x00;

/** The fields of a MAC1 request, as bytes where they travel as bytes. */
export interface PurchaseMac1Request {
  readonly random: Buffer;
  readonly offlineCounter: number;
  readonly amount: number;
  readonly type: number;
  readonly date: Buffer;
  readonly time: Buffer;
  readonly keyVersion: number;
  readonly algId: number;
  readonly cardNumber: Buffer;
}

/**
 * Split and check the 28 data bytes. Throws `CardError` `6700` for another length, `6A80` for a
 * type other than 06, an invalid BCD date or time, or a card number that is not BCD.
 */
export function parseMac1Request(data: Buffer): PurchaseMac1Request {
  if (data.length !== MAC1_REQUEST_LENGTH) throw new CardError(SW.WRONG_LENGTH);
  const request: PurchaseMac1Request = {
    random: data.subarray(0, 4),
    offlineCounter: data.readUInt16BE(4),
    amount: data.readUInt32BE(6),
    type: data[10]!,
    date: data.subarray(11, 15),
    time: data.subarray(15, 18),
    keyVersion: data[18]!,
    algId: data[19]!,
    cardNumber: data.subarray(20, 28),
  };
  if (request.type !== EP_PURCHASE) throw new CardError(SW.INCORRECT_DATA, 'MAC1 is for purchases (type 06) only');
  try {
    decodeBcdDate(request.date);
    decodeBcdTime(request.time);
    decodeBcd(request.cardNumber);
  } catch (err) {
    throw new CardError(SW.INCORRECT_DATA, 'bad BCD date, time or card number', { cause: err });
  }
  return request;
}

/** Handle MAC1 for purchase; see the top of this file. Throws `CardError` with those status words. */
export function mac1ForPurchase(cmd: CommandApdu, ctx: CommandContext, state: PsamState): Buffer {
  // A new MAC1, issued or refused, voids the MAC2 check of the one before.
  state.pending = undefined;
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  if (cmd.data.length !== MAC1_REQUEST_LENGTH || (cmd.le !== undefined && cmd.le < MAC1_RESPONSE_LENGTH)) {
    throw new CardError(SW.WRONG_LENGTH);
  }
  const terminal = storedTerminalNumber(ctx.store);
  if (terminal === undefined) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'the PSAM has no terminal number');
  const request = parseMac1Request(cmd.data);
  const mpk = request.algId === ALG_3DES ? storedMpk(ctx.store, request.keyVersion) : undefined;
  if (mpk === undefined) throw new CardError(SW.KEY_NOT_FOUND);
  const ttsn = nextTtsn(ctx);

  const dpk = diversifyKey(mpk, request.cardNumber);
  const sespk = purchaseSessionKey(dpk, request.random, request.offlineCounter, ttsn);
  dpk.fill(0);
  const fields = { amount: request.amount, type: request.type, terminal, date: request.date, time: request.time };
  const mac1 = purchaseMac1(sespk, fields);
  const expectedMac2 = purchaseMac2(sespk, request.amount);
  sespk.fill(0);

  // Durable first: once this returns, no later MAC1 (after any power cut) can get this TTSN.
  new StoreTransaction(ctx.store).set(PSAM_TTSN_KEY, encodeTtsn(ttsn)).commit();
  state.pending = { expectedMac2, issuedAt: ctx.session.commandCount };
  const out = Buffer.allocUnsafe(MAC1_RESPONSE_LENGTH);
  out.writeUInt32BE(ttsn, 0);
  out.set(mac1, 4);
  return respond(out, SW.OK);
}

function nextTtsn(ctx: CommandContext): number {
  let last: number;
  try {
    last = storedTtsn(ctx.store);
  } catch (err) {
    throw new CardError(SW.MEMORY_FAILURE, 'the stored TTSN is damaged', { cause: err });
  }
  if (last >= MAX_TTSN) throw new CardError(SW.COUNTER_AT_MAXIMUM, 'the TTSN is at its maximum');
  return last + 1;
}
