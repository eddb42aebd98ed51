/**
 * GET BALANCE (spec §4):
 *
 * ```
 * 80 5C 00 02 04      → balance (4)
 * ```
 * Answers: `9000` with the balance (also while the application is blocked); `6A86` P1-P2 not
 * 00 02 (P2 01, PBOC's electronic deposit, does not exist here); `6700` data present, no Le or Le
 * below 4; `6985` not personalized.
 */
import { SW, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import { respond } from '../../runtime/response.js';
import { checkLengths } from './commandChecks.js';
import { storedPurseState } from './epStore.js';

const BALANCE_LENGTH = 4;

export function getBalance(cmd: CommandApdu, ctx: CommandContext): Buffer {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x02) throw new CardError(SW.INCORRECT_P1P2);
  if (cmd.le === undefined) throw new CardError(SW.WRONG_LENGTH);
  checkLengths(cmd, 0, BALANCE_LENGTH);
  const purse = storedPurseState(ctx.store);
  if (purse === undefined) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'the purse is not personalized');
  const out = Buffer.allocUnsafe(BALANCE_LENGTH);
  out.writeUInt32BE(purse.balance, 0);
  return respond(out, SW.OK);
}
