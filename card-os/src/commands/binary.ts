/**
 * READ BINARY and UPDATE BINARY (ISO 7816-4 §7.2.3, §7.2.5) on transparent EFs:
 *
 * ```
 * 00 B0 P1 P2 Le          READ BINARY
 * 00 D6 P1 P2 Lc data     UPDATE BINARY
 * P1 = 1 0 0 s s s s s    SFI = P1 & 1F (1 to 30), offset = P2; that EF becomes the current EF
 * P1 = 0 x x x x x x x    offset = P1 P2 (0 to 7FFF) in the current EF
 * ```
 * READ BINARY answers the bytes from the offset: `9000` when Le bytes were returned, `6282`
 * (with the bytes there are, possibly none) when fewer than Le remain. An offset equal to the
 * file size is the end of the file (no bytes, `6282`), so a terminal that reads a file in
 * 256-byte chunks always finds the end; an offset beyond the size is `6A86`.
 * UPDATE BINARY writes the bytes at the offset (may extend the file up to its maximum size):
 * offset beyond the size `6A86`, end beyond the maximum size `6A84`.
 * Other answers: `6700` missing Le (READ) or data (UPDATE), or the other one present;
 * `6A86` P1 with bits 7-6 set or SFI 0/31; `6A82` no EF with that SFI; `6986` no current EF;
 * `6981` a record EF; `6985` access condition "never"; `6982` access condition not satisfied.
 */
import { SW, type CommandApdu } from '@citycard/protocols';
import { accessStatus } from '../fs/accessCondition.js';
import type { TransparentEf } from '../fs/transparentEf.js';
import { CardError } from '../runtime/cardError.js';
import type { CommandContext } from '../runtime/context.js';
import { respond, status } from '../runtime/response.js';
import { StoreTransaction } from '../runtime/transaction.js';
import { addressedEf } from './efAddressing.js';
import { SW_INCOMPATIBLE_FILE } from './isoStatus.js';

const SFI_FLAG = 0x80;
const SFI_RESERVED_BITS = 0x60;

export function readBinary(cmd: CommandApdu, ctx: CommandContext): Buffer {
  const sfi = sfiOf(cmd);
  const le = cmd.le;
  if (le === undefined || cmd.data.length !== 0) throw new CardError(SW.WRONG_LENGTH);
  const ef = transparentEf(sfi, ctx);
  const denied = accessStatus(ef.access.read, ctx);
  if (denied !== 0) throw new CardError(denied);
  const offset = offsetOf(cmd);
  if (offset > ef.size()) throw new CardError(SW.INCORRECT_P1P2, 'offset beyond the end of the file');
  const data = ef.read(offset, le);
  return respond(data, data.length < le ? SW.END_OF_FILE : SW.OK);
}

export function updateBinary(cmd: CommandApdu, ctx: CommandContext): Buffer {
  const sfi = sfiOf(cmd);
  if (cmd.data.length === 0 || cmd.le !== undefined) throw new CardError(SW.WRONG_LENGTH);
  const ef = transparentEf(sfi, ctx);
  const denied = accessStatus(ef.access.update, ctx);
  if (denied !== 0) throw new CardError(denied);
  const offset = offsetOf(cmd);
  if (offset > ef.size()) throw new CardError(SW.INCORRECT_P1P2, 'offset beyond the end of the file');
  if (offset + cmd.data.length > ef.spec.maxSize) throw new CardError(SW.NOT_ENOUGH_MEMORY);
  const tx = new StoreTransaction(ctx.store);
  ef.write(tx, offset, cmd.data);
  tx.commit();
  return status(SW.OK);
}

/** SFI from P1 (0 = current EF). Throws `CardError` `6A86` for P1 = 1xx..... other than 100sssss, or SFI 0. */
function sfiOf(cmd: CommandApdu): number {
  if ((cmd.p1 & SFI_FLAG) === 0) return 0;
  if ((cmd.p1 & SFI_RESERVED_BITS) !== 0 || (cmd.p1 & 0x1f) === 0) throw new CardError(SW.INCORRECT_P1P2);
  return cmd.p1 & 0x1f;
}

function transparentEf(sfi: number, ctx: CommandContext): TransparentEf {
  const ef = addressedEf(sfi, ctx);
  if (ef.type !== 'transparent') throw new CardError(SW_INCOMPATIBLE_FILE, 'not a transparent EF');
  return ef;
}

function offsetOf(cmd: CommandApdu): number {
  return (cmd.p1 & SFI_FLAG) !== 0 ? cmd.p2 : (cmd.p1 << 8) | cmd.p2;
}
