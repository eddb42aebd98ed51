/**
 * APPLICATION BLOCK and APPLICATION UNBLOCK (spec §4, §5), authorised by the maintenance MAC:
 *
 * ```
 * 00 84 00 00 04                  GET CHALLENGE: card challenge (4), for the next command only
 * 84 1E 00 00 04  MAC (4)         APPLICATION BLOCK: later INITIALIZE answers 6A81
 * 84 18 00 00 04  MAC (4)         APPLICATION UNBLOCK
 * MAC = ISO 9797-1 MAC algorithm 3 under DAMK, ICV = challenge ‖ 00000000,
 *       over CLA INS P1 P2 Lc (padding method 2), leftmost 4 bytes
 * ```
 * The challenge is taken (used up) first, whatever the outcome, so each MAC works once.
 * Blocking a blocked application or unblocking an operational one answers `9000` and writes
 * nothing.
 *
 * Answers: `9000`; `6A86` P1-P2 not 00 00; `6700` data not 4 bytes, or an Le; `6985` not
 * personalized, or no 4-byte challenge issued by the command just before; `9403` no DAMK; `9302`
 * wrong MAC (nothing changes).
 */
import { SW, maintenanceMac, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import { status } from '../../runtime/response.js';
import { StoreTransaction } from '../../runtime/transaction.js';
import { macMatches } from './commandChecks.js';
import { storedEpKey } from './epKeys.js';
import { stageEpLifecycle, storedEpLifecycle, type EpLifecycle } from './epStore.js';

const MAC_LENGTH = 4;
const CHALLENGE_LENGTH = 4;

/** Handle APPLICATION BLOCK (`target` 'blocked') or UNBLOCK (`target` 'operational'). */
export function applicationMaintenance(cmd: CommandApdu, ctx: CommandContext, target: EpLifecycle): Buffer {
  const challenge = ctx.session.takeChallenge();
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  if (cmd.data.length !== MAC_LENGTH || cmd.le !== undefined) throw new CardError(SW.WRONG_LENGTH);
  const lifecycle = storedEpLifecycle(ctx.store);
  if (lifecycle === undefined) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'the purse is not personalized');
  const damk = storedEpKey(ctx.store, 'DAMK');
  if (damk === undefined) throw new CardError(SW.KEY_NOT_FOUND);
  if (challenge?.length !== CHALLENGE_LENGTH) {
    throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'no 4-byte challenge from the command just before');
  }
  const header = Buffer.from([cmd.cla, cmd.ins, cmd.p1, cmd.p2, cmd.data.length]);
  if (!macMatches(cmd.data, maintenanceMac(damk.key, challenge, header))) throw new CardError(SW.MAC_INVALID);
  if (lifecycle !== target) {
    const tx = new StoreTransaction(ctx.store);
    stageEpLifecycle(tx, target);
    tx.commit();
  }
  return status(SW.OK);
}
