/**
 * READ RECORD and UPDATE RECORD (ISO 7816-4 §7.3.3, §7.3.5) on record EFs, one record by number:
 *
 * ```
 * 00 B2 rec P2 Le          READ RECORD
 * 00 DC rec P2 Lc data     UPDATE RECORD (linear-fixed EFs only; data = one whole record)
 * rec = 01 to FE            record number; for a cyclic EF 01 is the newest
 * P2  = (SFI << 3) | 04     SFI 1 to 30 (that EF becomes the current EF), or 0 = current EF
 * ```
 * READ RECORD answers the whole record with `9000` when Le (00 = 256) is at least the record
 * length, `6700` when Le is shorter. Other answers: `6700` missing Le (READ) or data (UPDATE), the
 * other one present, or UPDATE data that is not one record long; `6A86` rec 00 or FF, P2 not
 * ending in 100, SFI 31; `6A82` no EF with that SFI; `6986` no current EF; `6981` a transparent EF, or
 * an UPDATE on a cyclic EF (its records are only ever added by the application); `6985` access
 * condition "never"; `6982` access condition not satisfied; `6A83` no such record.
 */
import { SW, type CommandApdu } from '@citycard/protocols';
import { accessStatus } from '../fs/accessCondition.js';
import type { RecordEf } from '../fs/recordEf.js';
import { CardError } from '../runtime/cardError.js';
import type { CommandContext } from '../runtime/context.js';
import { respond, status } from '../runtime/response.js';
import { StoreTransaction } from '../runtime/transaction.js';
import { addressedEf } from './efAddressing.js';
import { SW_INCOMPATIBLE_FILE } from './isoStatus.js';

const RECORD_NUMBER_IN_P1 = 0x04;

export function readRecord(cmd: CommandApdu, ctx: CommandContext): Buffer {
  checkP1P2(cmd);
  const le = cmd.le;
  if (le === undefined || cmd.data.length !== 0) throw new CardError(SW.WRONG_LENGTH);
  const ef = recordEf(cmd, ctx);
  const denied = accessStatus(ef.access.read, ctx);
  if (denied !== 0) throw new CardError(denied);
  const record = ef.read(cmd.p1);
  if (record === undefined) throw new CardError(SW.RECORD_NOT_FOUND);
  if (le < record.length) throw new CardError(SW.WRONG_LENGTH, `Le ${le} is shorter than the ${record.length}-byte record`);
  return respond(record, SW.OK);
}

export function updateRecord(cmd: CommandApdu, ctx: CommandContext): Buffer {
  checkP1P2(cmd);
  if (cmd.data.length === 0 || cmd.le !== undefined) throw new CardError(SW.WRONG_LENGTH);
  const ef = recordEf(cmd, ctx);
  if (ef.type !== 'linear-fixed') throw new CardError(SW_INCOMPATIBLE_FILE, 'records of a cyclic EF are not updated');
  const denied = accessStatus(ef.access.update, ctx);
  if (denied !== 0) throw new CardError(denied);
  if (cmd.data.length !== ef.recordLength) throw new CardError(SW.WRONG_LENGTH);
  if (cmd.p1 > ef.count()) throw new CardError(SW.RECORD_NOT_FOUND);
  const tx = new StoreTransaction(ctx.store);
  ef.update(tx, cmd.p1, cmd.data);
  tx.commit();
  return status(SW.OK);
}

function checkP1P2(cmd: CommandApdu): void {
  if (cmd.p1 === 0x00 || cmd.p1 === 0xff || (cmd.p2 & 0x07) !== RECORD_NUMBER_IN_P1) {
    throw new CardError(SW.INCORRECT_P1P2);
  }
}

function recordEf(cmd: CommandApdu, ctx: CommandContext): RecordEf {
  const ef = addressedEf(cmd.p2 >> 3, ctx);
  if (ef.type === 'transparent') throw new CardError(SW_INCOMPATIBLE_FILE, 'not a record EF');
  return ef;
}
