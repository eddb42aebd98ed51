/**
 * DEBIT FOR PURCHASE (spec §4), valid only as the command right after INITIALIZE FOR PURCHASE:
 *
 * ```
 * 80 54 01 00 0F  TTSN (4) ‖ date (4) ‖ time (3) ‖ MAC1 (4)  [Le]
 *   → TAC (4) ‖ MAC2 (4)
 * ```
 * SESPK = 3DES(DPK, random ‖ offline counter ‖ TTSN[2..3]); the card checks MAC1 (the PSAM's,
 * over amount ‖ 06 ‖ terminal ‖ date ‖ time), then in ONE commit lowers the balance, raises the
 * offline counter, logs the purchase and files its proof (MAC2 ‖ TAC under type 06 and the new
 * counter); MAC2 = MAC(SESPK, amount), TAC under DTK (§4.1). Date and time are not checked as
 * calendar values: MAC1 covers them as received.
 *
 * Answers: `9000` with TAC ‖ MAC2; `6A86` P1-P2 not 01 00; `6700` data not 15 bytes or Le below
 * 8; `6985` not directly after an INITIALIZE FOR PURCHASE of this selection (a replayed DEBIT
 * included); `9403` a key gone; `9302` wrong MAC1 (nothing changes). Any attempt uses up the
 * INITIALIZE.
 */
import {
  EP_PURCHASE,
  SW,
  purchaseMac1,
  purchaseMac2,
  purchaseSessionKey,
  purchaseTac,
  tacKey,
  type CommandApdu,
} from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import type { InstalledApplication } from '../../runtime/installedApplication.js';
import { respond } from '../../runtime/response.js';
import { checkLengths, macMatches } from './commandChecks.js';
import { commitTransaction } from './commitTransaction.js';
import { storedEpKey } from './epKeys.js';
import { takePending, type EpState } from './epSession.js';
import { storedPurseState } from './epStore.js';

const DATA_LENGTH = 15;
const RESPONSE_LENGTH = 8;

export function debitForPurchase(cmd: CommandApdu, ctx: CommandContext, app: InstalledApplication, state: EpState): Buffer {
  const pending = takePending(state, ctx, 'purchase');
  if (cmd.p1 !== 0x01 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  checkLengths(cmd, DATA_LENGTH, RESPONSE_LENGTH);
  if (pending === undefined) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'no INITIALIZE FOR PURCHASE just before');
  const now = storedPurseState(ctx.store);
  if (now === undefined || now.offlineCounter !== pending.counter || now.balance !== pending.balance) {
    throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'the purse changed since INITIALIZE');
  }
  const dpk = storedEpKey(ctx.store, 'DPK');
  const dtk = storedEpKey(ctx.store, 'DTK');
  if (dpk === undefined || dtk === undefined) throw new CardError(SW.KEY_NOT_FOUND);
  const ttsn = cmd.data.readUInt32BE(0);
  const date = Buffer.from(cmd.data.subarray(4, 8));
  const time = Buffer.from(cmd.data.subarray(8, 11));
  const fields = { amount: pending.amount, terminal: pending.terminal, date, time, type: EP_PURCHASE };
  const sessionKey = purchaseSessionKey(dpk.key, pending.random, pending.counter, ttsn);
  if (!macMatches(cmd.data.subarray(11, 15), purchaseMac1(sessionKey, fields))) throw new CardError(SW.MAC_INVALID);
  const mac2 = purchaseMac2(sessionKey, pending.amount);
  const tac = purchaseTac(tacKey(dtk.key), { ...fields, ttsn });
  commitTransaction(ctx, app, {
    after: { ...now, balance: now.balance - pending.amount, offlineCounter: now.offlineCounter + 1 },
    log: { counter: pending.counter, ...fields },
    proof: { mac2, tac },
  });
  return respond(Buffer.concat([tac, mac2]), SW.OK);
}
