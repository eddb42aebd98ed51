/**
 * END PERSONALIZATION (docs/personalization.md §3), secured, MAC only:
 *
 * ```
 * 84 F0 00 00 08 C-MAC
 * ```
 * Checks that everything the profile requires is there (personalizationTable.ts) and holds
 * together (consistency.ts), then in ONE commit writes the applications' initial state, sets the
 * life cycle to PERSONALIZED and deletes the transport key; the session ends. A power cut before
 * that commit leaves a blank card, after it a personalized one. Answers (after the C-MAC
 * checked): `9000`; `6A86` P1 P2 not 00 00; `6A80` any plaintext; `6985` something missing or
 * inconsistent (the session stays open).
 */
import { SW } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import { status } from '../../runtime/response.js';
import { StoreTransaction } from '../../runtime/transaction.js';
import { CARD_LIFECYCLE, CARD_LIFECYCLE_KEY, CARD_TRANSPORT_KEY } from './blankCard.js';
import type { ManagerContext } from './managerContext.js';
import { missingForEnd } from './personalizationTable.js';
import type { UnwrappedCommand } from './secureChannel.js';

/** Handle an unwrapped END PERSONALIZATION. Throws `CardError` with the status words above. */
export function endPersonalization(cmd: UnwrappedCommand, ctx: ManagerContext): Buffer {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  if (cmd.plaintext.length !== 0) throw new CardError(SW.INCORRECT_DATA, 'END PERSONALIZATION carries no data');
  const missing = missingForEnd(ctx.profile, ctx.store);
  if (missing.length > 0) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, `missing: ${missing.join(', ')}`);
  const problem = ctx.profile.inconsistency(ctx.store);
  if (problem !== undefined) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, problem);
  const tx = new StoreTransaction(ctx.store);
  ctx.profile.activate(tx);
  tx.set(CARD_LIFECYCLE_KEY, Buffer.from([CARD_LIFECYCLE.PERSONALIZED]));
  tx.delete(CARD_TRANSPORT_KEY);
  tx.commit();
  ctx.channel.close();
  return status(SW.OK);
}
