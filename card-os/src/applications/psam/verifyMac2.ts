/**
 * Verify MAC2 (card interface spec §5):
 *
 * ```
 * 80 72 00 00 04 MAC2 (4) [Le, ignored: no data comes back]
 * ```
 * Valid only as the command directly after a successful MAC1 for purchase in the same power
 * session and selection; it checks the card's MAC2 against that transaction's SESPK and amount.
 * Any verify, good or bad, well formed or not, ends that chance: a second try is `6985`, so the
 * PSAM is no oracle for guessing MAC2s.
 *
 * Answers: `9000` MAC2 right; `9302` MAC2 wrong; `6A86` P1-P2 not 00 00; `6700` data not 4
 * bytes; `6985` no MAC1 directly before.
 */
import { SW, equalBytes, PURSE_MAC_LENGTH, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import { status } from '../../runtime/response.js';
import type { PsamState } from './psamState.js';

/** Handle verify MAC2; see the top of this file. Throws `CardError` with those status words. */
export function verifyMac2(cmd: CommandApdu, ctx: CommandContext, state: PsamState): Buffer {
  const pending = state.pending;
  state.pending = undefined;
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  if (cmd.data.length !== PURSE_MAC_LENGTH) throw new CardError(SW.WRONG_LENGTH);
  if (pending === undefined || pending.issuedAt !== ctx.session.commandCount - 1) {
    throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'verify MAC2 must follow its MAC1 directly');
  }
  if (!equalBytes(cmd.data, pending.expectedMac2)) throw new CardError(SW.MAC_INVALID);
  return status(SW.OK);
}
