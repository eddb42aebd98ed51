/**
 * INITIALIZE PERSONALIZATION (docs/personalization.md §2), the only personalization command in
 * clear:
 *
 * ```
 * 80 1A 00 00 08 RH(8) [00]
 * response: CSN (8) ‖ RC (8) ‖ card cryptogram (8), card cryptogram = MAC3(S-MAC, 0, RH ‖ RC)
 * ```
 * Starts a new session (any earlier one is dropped) with a fresh card random RC; nothing is
 * written. Answers: `6A86` P1 P2 not 00 00; `6700` data not 8 bytes; `6985` no transport key.
 */
import { SW, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import { respond } from '../../runtime/response.js';
import { CARD_CSN_KEY, CSN_LENGTH, CARD_TRANSPORT_KEY, TRANSPORT_KEY_LENGTH } from './blankCard.js';
import type { ManagerContext } from './managerContext.js';
import { SM_BLOCK } from './secureChannel.js';

/** Handle INITIALIZE PERSONALIZATION; see the top of this file. Throws `CardError` with those status words. */
export function initializePersonalization(cmd: CommandApdu, ctx: ManagerContext): Buffer {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  if (cmd.data.length !== SM_BLOCK) throw new CardError(SW.WRONG_LENGTH);
  const kt = ctx.store.get(CARD_TRANSPORT_KEY);
  const csn = ctx.store.get(CARD_CSN_KEY);
  if (kt?.length !== TRANSPORT_KEY_LENGTH || csn?.length !== CSN_LENGTH) {
    throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'no transport key: not a blank card');
  }
  const cardRandom = ctx.random(SM_BLOCK);
  const cryptogram = ctx.channel.initialize(kt, cmd.data, cardRandom);
  return respond(Buffer.concat([csn, cardRandom, cryptogram]), SW.OK);
}
