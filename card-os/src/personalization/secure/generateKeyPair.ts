/**
 * GENERATE KEY PAIR (docs/personalization.md §3), secured, MAC only:
 *
 * ```
 * 84 46 00 00 08 C-MAC [00]
 * response: modulus (256); the public exponent is 65537
 * ```
 * The card makes its RSA-2048 ID key and stores the private half where the ID application reads
 * it (one commit; a second GENERATE replaces it, and END PERSONALIZATION then wants a certificate
 * of the new key). The private key never leaves the card OS. Answers (after the C-MAC checked):
 * `9000` with the modulus; `6A86` P1 P2 not 00 00; `6A80` any plaintext.
 */
import { createPublicKey } from 'node:crypto';
import { SW } from '@citycard/protocols';
import { generateCardKey } from '../../applications/id/cardKey.js';
import { CardError } from '../../runtime/cardError.js';
import { respond } from '../../runtime/response.js';
import { StoreTransaction } from '../../runtime/transaction.js';
import type { ManagerContext } from './managerContext.js';
import type { UnwrappedCommand } from './secureChannel.js';

/** Bytes of the modulus GENERATE KEY PAIR answers. */
export const KEY_PAIR_MODULUS_LENGTH = 256;

/** Handle an unwrapped GENERATE KEY PAIR. Throws `CardError` with the status words above. */
export function generateKeyPair(cmd: UnwrappedCommand, ctx: ManagerContext): Buffer {
  const storeKey = ctx.profile.keyPairStoreKey;
  if (storeKey === undefined) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'this card has no key pair');
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  if (cmd.plaintext.length !== 0) throw new CardError(SW.INCORRECT_DATA, 'GENERATE KEY PAIR carries no data');
  const tx = new StoreTransaction(ctx.store);
  const spki = generateCardKey(tx, storeKey);
  tx.commit();
  const jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' });
  const modulus = Buffer.from(jwk.n ?? '', 'base64url');
  if (modulus.length !== KEY_PAIR_MODULUS_LENGTH) throw new Error(`the card key has a ${modulus.length}-byte modulus`);
  return respond(modulus, SW.OK);
}
