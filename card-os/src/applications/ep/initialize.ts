/**
 * INITIALIZE FOR LOAD and INITIALIZE FOR PURCHASE (spec §4), one INS told apart by P1:
 *
 * ```
 * 80 50 00 02 0B  key index (1) ‖ amount (4) ‖ terminal (6)  [Le]   INITIALIZE FOR LOAD
 *   → balance (4) ‖ online counter (2) ‖ key version (1) ‖ alg id (1) ‖ random (4) ‖ MAC1 (4)
 * 80 50 01 02 0B  key index (1) ‖ amount (4) ‖ terminal (6)  [Le]   INITIALIZE FOR PURCHASE
 *   → balance (4) ‖ offline counter (2) ‖ overdraft limit 000000 (3) ‖ key version (1) ‖
 *     alg id (1) ‖ random (4)
 * ```
 * Load MAC1 = MAC(SESLK, old balance ‖ amount ‖ 02 ‖ terminal), SESLK from DLK (§4.1). Nothing
 * persistent changes; the transaction waits in the volatile state for the next command.
 *
 * Answers, checked in this order: `6A86` P1 not 00/01 or P2 not 02; `6700` data not 11 bytes or
 * Le shorter than the response (16 load, 15 purchase); `6A81` application blocked; `6985` not
 * personalized; `9403` key index not 01, or the key (DLK or DPK) or DTK missing; `6A80` amount 0;
 * `9402` the counter (online for a load, offline for a purchase) at FFFF; load: `6985` new
 * balance above the max balance; purchase: `6985` amount above the max single purchase, then
 * `9401` amount above the balance.
 */
import { SW, loadMac1, loadSessionKey, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import { respond } from '../../runtime/response.js';
import { checkLengths, openPurse, type OpenPurse } from './commandChecks.js';
import { EP_ALG_ID, EP_KEY_INDEX, storedEpKey, type EpKey, type EpKeyName } from './epKeys.js';
import type { EpState } from './epSession.js';
import { EP_MAX_COUNTER } from './epStore.js';

const P1_LOAD = 0x00;
const P1_PURCHASE = 0x01;
const P2_EP = 0x02;
const DATA_LENGTH = 11;
const LOAD_RESPONSE_LENGTH = 16;
const PURCHASE_RESPONSE_LENGTH = 15;
const RANDOM_LENGTH = 4;

interface InitializeRequest {
  readonly amount: number;
  readonly terminal: Buffer;
}

export function initialize(cmd: CommandApdu, ctx: CommandContext, state: EpState): Buffer {
  state.pending = undefined;
  if (cmd.p2 !== P2_EP || (cmd.p1 !== P1_LOAD && cmd.p1 !== P1_PURCHASE)) throw new CardError(SW.INCORRECT_P1P2);
  const isLoad = cmd.p1 === P1_LOAD;
  checkLengths(cmd, DATA_LENGTH, isLoad ? LOAD_RESPONSE_LENGTH : PURCHASE_RESPONSE_LENGTH);
  const purse = openPurse(ctx.store);
  if (cmd.data[0] !== EP_KEY_INDEX) throw new CardError(SW.KEY_NOT_FOUND, `key index ${cmd.data[0]} is not 01`);
  const sessionKeyName: EpKeyName = isLoad ? 'DLK' : 'DPK';
  const key = storedEpKey(ctx.store, sessionKeyName);
  if (key === undefined || storedEpKey(ctx.store, 'DTK') === undefined) throw new CardError(SW.KEY_NOT_FOUND);
  const request: InitializeRequest = { amount: cmd.data.readUInt32BE(1), terminal: Buffer.from(cmd.data.subarray(5, 11)) };
  if (request.amount === 0) throw new CardError(SW.INCORRECT_DATA, 'amount 0');
  return isLoad ? initializeForLoad(request, purse, key, ctx, state) : initializeForPurchase(request, purse, key, ctx, state);
}

function initializeForLoad(request: InitializeRequest, purse: OpenPurse, dlk: EpKey, ctx: CommandContext, state: EpState): Buffer {
  const { balance, onlineCounter } = purse.state;
  if (onlineCounter >= EP_MAX_COUNTER) throw new CardError(SW.COUNTER_AT_MAXIMUM);
  if (balance + request.amount > purse.limits.maxBalance) {
    throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'the new balance would pass the max balance');
  }
  const random = cardRandom(ctx);
  const sessionKey = loadSessionKey(dlk.key, random, onlineCounter);
  const mac1 = loadMac1(sessionKey, { balance, amount: request.amount, terminal: request.terminal });
  state.pending = { kind: 'load', ...request, balance, counter: onlineCounter, sessionKey, openedAt: ctx.session.commandCount };
  const out = Buffer.allocUnsafe(LOAD_RESPONSE_LENGTH);
  out.writeUInt32BE(balance, 0);
  out.writeUInt16BE(onlineCounter, 4);
  out[6] = dlk.version;
  out[7] = EP_ALG_ID;
  out.set(random, 8);
  out.set(mac1, 12);
  return respond(out, SW.OK);
}

function initializeForPurchase(request: InitializeRequest, purse: OpenPurse, dpk: EpKey, ctx: CommandContext, state: EpState): Buffer {
  const { balance, offlineCounter } = purse.state;
  if (offlineCounter >= EP_MAX_COUNTER) throw new CardError(SW.COUNTER_AT_MAXIMUM);
  if (request.amount > purse.limits.maxSinglePurchase) {
    throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'the amount passes the max single purchase');
  }
  if (request.amount > balance) throw new CardError(SW.INSUFFICIENT_BALANCE);
  const random = cardRandom(ctx);
  state.pending = { kind: 'purchase', ...request, balance, counter: offlineCounter, random, openedAt: ctx.session.commandCount };
  // Overdraft limit (bytes 6-8) is always 000000: the purse never goes below zero.
  const out = Buffer.alloc(PURCHASE_RESPONSE_LENGTH);
  out.writeUInt32BE(balance, 0);
  out.writeUInt16BE(offlineCounter, 4);
  out[9] = dpk.version;
  out[10] = EP_ALG_ID;
  out.set(random, 11);
  return respond(out, SW.OK);
}

function cardRandom(ctx: CommandContext): Buffer {
  const random = Buffer.from(ctx.random(RANDOM_LENGTH));
  if (random.length !== RANDOM_LENGTH) throw new Error(`random source returned ${random.length} bytes, not ${RANDOM_LENGTH}`);
  return random;
}
