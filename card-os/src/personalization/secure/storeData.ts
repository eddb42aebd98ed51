/**
 * STORE DATA (docs/personalization.md §3), secured:
 *
 * ```
 * 84 E2 00 00 Lc ENC ‖ C-MAC      plaintext: object (2) ‖ offset (2) ‖ bytes
 * ```
 * Offset 0 replaces the object; a later offset must be the object's current length (the next
 * chunk of an object longer than one command, such as the certificate). A PIN or PUK object is
 * one 8-byte PIN block written whole, with a full tries counter. One commit per command.
 * Answers (after the C-MAC checked): `9000`; `6A86` P1 P2 not 00 00; `6A80` fewer than 5
 * plaintext bytes, an object the profile does not know, an offset that is neither 0 nor the
 * current length, a malformed PIN block; `6A84` writing past the object's maximum size.
 */
import { SW } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import { status } from '../../runtime/response.js';
import { StoreTransaction } from '../../runtime/transaction.js';
import { isWellFormedPinBlock, PIN_BLOCK_LENGTH } from '../../security/pinSpec.js';
import type { ManagerContext } from './managerContext.js';
import type { ObjectSlot } from './personalizationTable.js';
import type { UnwrappedCommand } from './secureChannel.js';

const HEADER = 4;

/** Handle an unwrapped STORE DATA. Throws `CardError` with the status words above. */
export function storeData(cmd: UnwrappedCommand, ctx: ManagerContext): Buffer {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  const plaintext = cmd.plaintext;
  if (plaintext.length <= HEADER) throw new CardError(SW.INCORRECT_DATA, 'STORE DATA carries object (2) ‖ offset (2) ‖ bytes');
  const slot = ctx.profile.objects.get(plaintext.readUInt16BE(0));
  if (slot === undefined) throw new CardError(SW.INCORRECT_DATA, 'unknown object');
  const offset = plaintext.readUInt16BE(2);
  const bytes = plaintext.subarray(HEADER);
  const tx = new StoreTransaction(ctx.store);
  if (slot.pin !== undefined) stagePin(tx, slot, offset, bytes);
  else stageChunk(tx, slot, offset, bytes);
  tx.commit();
  return status(SW.OK);
}

function stagePin(tx: StoreTransaction, slot: ObjectSlot, offset: number, block: Buffer): void {
  const pin = slot.pin!;
  if (offset !== 0 || block.length !== PIN_BLOCK_LENGTH || !isWellFormedPinBlock(block, pin.spec)) {
    throw new CardError(SW.INCORRECT_DATA, `${slot.label}: not a well-formed PIN block`);
  }
  tx.set(slot.storeKey, block);
  tx.set(pin.triesKey, Buffer.from([pin.spec.maxTries]));
}

function stageChunk(tx: StoreTransaction, slot: ObjectSlot, offset: number, bytes: Buffer): void {
  if (offset + bytes.length > slot.maxSize) {
    throw new CardError(SW.NOT_ENOUGH_MEMORY, `${slot.label}: at most ${slot.maxSize} bytes`);
  }
  const current = tx.get(slot.storeKey);
  const length = current?.length ?? 0;
  if (offset !== 0 && offset !== length) {
    throw new CardError(SW.INCORRECT_DATA, `${slot.label}: offset ${offset} is neither 0 nor the current length ${length}`);
  }
  tx.set(slot.storeKey, offset === 0 ? bytes : Buffer.concat([current!, bytes]));
}
