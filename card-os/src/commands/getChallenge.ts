/**
 * GET CHALLENGE (ISO 7816-4 §7.5.3):
 *
 * ```
 * 00 84 00 00 Le      Le = 04 or 08
 * ```
 * Answers Le random bytes, kept for the next command only (e.g. a MACed APPLICATION BLOCK takes
 * it with `session.takeChallenge()`). `6A86` P1-P2 not 0000; `6700` Le other than 4 or 8, or data.
 */
import { SW, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../runtime/cardError.js';
import type { CommandContext } from '../runtime/context.js';
import { respond } from '../runtime/response.js';

export function getChallenge(cmd: CommandApdu, ctx: CommandContext): Buffer {
  if (cmd.p1 !== 0 || cmd.p2 !== 0) throw new CardError(SW.INCORRECT_P1P2);
  if ((cmd.le !== 4 && cmd.le !== 8) || cmd.data.length !== 0) throw new CardError(SW.WRONG_LENGTH);
  const challenge = Buffer.from(ctx.random(cmd.le));
  if (challenge.length !== cmd.le) throw new Error(`random source returned ${challenge.length} bytes, not ${cmd.le}`);
  ctx.session.issueChallenge(challenge);
  return respond(challenge, SW.OK);
}
