/**
 * PUT KEY (docs/personalization.md §3), secured:
 *
 * ```
 * 84 D8 key-version key-id Lc ENC ‖ C-MAC      plaintext: key (16) ‖ KCV (3)
 * ```
 * The card checks the KCV (3DES-ECB of a zero block under the key, leftmost 3 bytes) and stores
 * the key where its application reads it (personalizationTable.ts), in one commit. Answers
 * (after the C-MAC checked): `9000`; `6A86` key version 00 or a key id the profile does not know;
 * `6A80` plaintext not 19 bytes or a KCV that does not match (nothing is written).
 */
import { SW, keyCheckValue } from '@citycard/protocols';
import { timingSafeEqual } from 'node:crypto';
import { CardError } from '../../runtime/cardError.js';
import { status } from '../../runtime/response.js';
import { StoreTransaction } from '../../runtime/transaction.js';
import type { ManagerContext } from './managerContext.js';
import type { UnwrappedCommand } from './secureChannel.js';

const KEY_LENGTH = 16;
const KCV_LENGTH = 3;

/** Handle an unwrapped PUT KEY. Throws `CardError` with the status words above. */
export function putKey(cmd: UnwrappedCommand, ctx: ManagerContext): Buffer {
  const slot = ctx.profile.keys.get(cmd.p2);
  if (cmd.p1 === 0x00 || slot === undefined) throw new CardError(SW.INCORRECT_P1P2, 'unknown key version or key id');
  if (cmd.plaintext.length !== KEY_LENGTH + KCV_LENGTH) throw new CardError(SW.INCORRECT_DATA, 'PUT KEY carries key (16) ‖ KCV (3)');
  const key = cmd.plaintext.subarray(0, KEY_LENGTH);
  const kcv = keyCheckValue(key, KCV_LENGTH);
  if (!timingSafeEqual(kcv, cmd.plaintext.subarray(KEY_LENGTH))) {
    throw new CardError(SW.INCORRECT_DATA, `${slot.label}: the key does not match its check value`);
  }
  const tx = new StoreTransaction(ctx.store);
  slot.stage(tx, cmd.p1, key);
  tx.commit();
  return status(SW.OK);
}
