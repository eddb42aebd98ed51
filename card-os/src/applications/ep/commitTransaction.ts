/**
 * The one commit of a purse transaction: new balance and counter, the log record and the proof,
 * all staged in one `StoreTransaction`, so after a power cut the card holds all of them or none
 * (spec §4, §6). The proof being there is what lets GET TRANSACTION PROOF answer a terminal whose
 * DEBIT or CREDIT response was lost after the commit.
 */
import type { CommandContext } from '../../runtime/context.js';
import type { InstalledApplication } from '../../runtime/installedApplication.js';
import { StoreTransaction } from '../../runtime/transaction.js';
import { logEfOf } from './epFiles.js';
import { stagePurseState, type PurseState } from './epStore.js';
import { encodeEpLogRecord, type EpLogRecord } from './logRecord.js';
import { stageEpProof, type EpTransactionProof } from './transactionProofs.js';

export interface CommittedTransaction {
  /** Purse record after the transaction. */
  readonly after: PurseState;
  /** Log record (its counter is the one before the transaction). */
  readonly log: EpLogRecord;
  readonly proof: EpTransactionProof;
}

/**
 * Stage and commit `transaction`; the proof is filed under the log record's type and counter + 1.
 * Throws `RangeError` for a value out of range (nothing is written) and what the store's commit
 * throws (`StorageError`, `PowerLossError`).
 */
export function commitTransaction(ctx: CommandContext, app: InstalledApplication, transaction: CommittedTransaction): void {
  const tx = new StoreTransaction(ctx.store);
  stagePurseState(tx, transaction.after);
  logEfOf(app).append(tx, encodeEpLogRecord(transaction.log));
  stageEpProof(tx, transaction.log.type, transaction.log.counter + 1, transaction.proof);
  tx.commit();
}
