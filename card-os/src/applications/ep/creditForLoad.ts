/**
 * CREDIT FOR LOAD (spec §4), valid only as the command right after INITIALIZE FOR LOAD:
 *
 * ```
 * 80 52 00 00 0B  host date (4) ‖ host time (3) ‖ MAC2 (4)  [Le]
 *   → TAC (4)
 * ```
 * The card checks MAC2 (the HSM's, under the SESLK of INITIALIZE, over amount ‖ 02 ‖ terminal ‖
 * host date ‖ host time), then in ONE commit raises the balance and the online counter, logs the
 * load (online counter before, the load terminal, host date and time) and files its proof (the
 * verified MAC2 ‖ TAC under type 02 and the new counter). TAC under DTK over new balance ‖ online
 * counter before ‖ amount ‖ 02 ‖ terminal ‖ host date ‖ host time (§4.1).
 *
 * Answers: `9000` with the TAC; `6A86` P1-P2 not 00 00; `6700` data not 11 bytes or Le below 4;
 * `6985` not directly after an INITIALIZE FOR LOAD of this selection (a replayed CREDIT
 * included); `9403` DTK gone; `9302` wrong MAC2 (nothing changes). Any attempt uses up the
 * INITIALIZE.
 */
import { EP_LOAD, SW, loadMac2, loadTac, tacKey, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import type { InstalledApplication } from '../../runtime/installedApplication.js';
import { respond } from '../../runtime/response.js';
import { checkLengths, macMatches } from './commandChecks.js';
import { commitTransaction } from './commitTransaction.js';
import { storedEpKey } from './epKeys.js';
import { takePending, type EpState } from './epSession.js';
import { storedPurseState } from './epStore.js';

const DATA_LENGTH = 11;
const RESPONSE_LENGTH = 4;

export function creditForLoad(cmd: CommandApdu, ctx: CommandContext, app: InstalledApplication, state: EpState): Buffer {
  const pending = takePending(state, ctx, 'load');
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  checkLengths(cmd, DATA_LENGTH, RESPONSE_LENGTH);
  if (pending === undefined) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'no INITIALIZE FOR LOAD just before');
  const now = storedPurseState(ctx.store);
  if (now === undefined || now.onlineCounter !== pending.counter || now.balance !== pending.balance) {
    throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'the purse changed since INITIALIZE');
  }
  const dtk = storedEpKey(ctx.store, 'DTK');
  if (dtk === undefined) throw new CardError(SW.KEY_NOT_FOUND);
  const date = Buffer.from(cmd.data.subarray(0, 4));
  const time = Buffer.from(cmd.data.subarray(4, 7));
  const mac2 = Buffer.from(cmd.data.subarray(7, 11));
  const fields = { amount: pending.amount, terminal: pending.terminal, date, time, type: EP_LOAD };
  if (!macMatches(mac2, loadMac2(pending.sessionKey, fields))) throw new CardError(SW.MAC_INVALID);
  const newBalance = now.balance + pending.amount;
  const tac = loadTac(tacKey(dtk.key), { ...fields, newBalance, onlineCounter: pending.counter });
  commitTransaction(ctx, app, {
    after: { ...now, balance: newBalance, onlineCounter: now.onlineCounter + 1 },
    log: { counter: pending.counter, ...fields },
    proof: { mac2, tac },
  });
  return respond(tac, SW.OK);
}
