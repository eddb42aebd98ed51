/**
 * The card's purchases as its transaction log (EF 0x18) shows them, newest first, read one
 * record at a time and only as far as the fare needs. Loads are skipped.
 */
import { EP_LOG_RECORDS, EP_PURCHASE, type EpLogRecord, readEpLogRecordCommand } from '@citycard/protocols';
import { CardProtocolError } from '../errors.js';
import type { TransactionTrail } from '../purse/purseTrail.js';
import type { PurchaseLogReader } from './fareRule.js';

/**
 * A reader of the purchases in the log of the card selected on `trail`'s card channel. A log
 * the card will not show (any status word but 9000 and 6A83) reads as ending there, so the tap
 * is priced as an entry. The reader throws the `TransportError` of a card that left.
 */
export function cardPurchaseLog(trail: TransactionTrail): PurchaseLogReader {
  const purchases: EpLogRecord[] = [];
  let nextRecord = 1;
  let ended = false;
  return async (index) => {
    while (purchases.length <= index && !ended) {
      if (nextRecord > EP_LOG_RECORDS) {
        ended = true;
        break;
      }
      let record: EpLogRecord | undefined;
      try {
        record = await trail.send('card', readEpLogRecordCommand(nextRecord++));
      } catch (err) {
        if (!(err instanceof CardProtocolError)) throw err;
        record = undefined;
      }
      if (record === undefined) ended = true;
      else if (record.type === EP_PURCHASE) purchases.push(record);
    }
    return purchases[index];
  };
}
