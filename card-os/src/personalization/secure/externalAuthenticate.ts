/**
 * EXTERNAL AUTHENTICATE (docs/personalization.md §2): the host proves it derived the same session
 * keys, and its C-MAC starts the chain.
 *
 * ```
 * 84 82 00 00 10 host cryptogram (8) ‖ C-MAC (8)
 * host cryptogram = MAC3(S-MAC, 0, RC ‖ RH),  C-MAC = MAC3(S-MAC, 0, 84 82 00 00 10 ‖ host cryptogram)
 * ```
 * On success every value a failed earlier session may have left in the profile's applications
 * is deleted (one commit), so a session always starts from a blank card and END PERSONALIZATION
 * can only pass on data of one session. Answers: `9000`; `6985` not directly after INITIALIZE;
 * `6A86` P1 P2 not 00 00; `6700` wrong length and `6982` wrong cryptogram or C-MAC (both close the
 * session).
 */
import { SW } from '@citycard/protocols';
import { status } from '../../runtime/response.js';
import { StoreTransaction } from '../../runtime/transaction.js';
import type { ManagerContext } from './managerContext.js';

/** Handle EXTERNAL AUTHENTICATE (the whole APDU). Throws `CardError` with the status words above. */
export function externalAuthenticate(apdu: Buffer, ctx: ManagerContext): Buffer {
  ctx.channel.authenticate(apdu);
  const tx = new StoreTransaction(ctx.store);
  for (const key of ctx.store.keys()) {
    if (ctx.profile.prefixes.some((prefix) => key.startsWith(prefix))) tx.delete(key);
  }
  tx.commit();
  return status(SW.OK);
}
