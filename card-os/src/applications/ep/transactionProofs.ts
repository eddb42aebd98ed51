/**
 * The stored proofs of committed transactions (spec §4 GET TRANSACTION PROOF, §6): for each
 * transaction type, the MAC2 and TAC of its last `EP_PROOFS_KEPT` transactions, looked up by the
 * counter as it stands after the transaction. A proof is staged in the same transaction as the
 * balance, counter and log record it proves, so it exists exactly when the transaction committed.
 *
 * One store value per type holds the entries newest first, `counter after (2) ‖ MAC2 (4) ‖ TAC (4)`
 * each; the oldest drops off when a new one comes in. A counter only grows, so entries never
 * share a counter.
 */
import { appValueKey } from '../../fs/storeKeys.js';
import type { StoreTransaction } from '../../runtime/transaction.js';
import type { PersistentStore } from '../../storage/index.js';
import { corruptValue } from './epErrors.js';
import { EP_AID_HEX } from './epStore.js';

/** Proofs kept per transaction type: as many as the log keeps records. */
export const EP_PROOFS_KEPT = 10;
const ENTRY_LENGTH = 10;
const EMPTY = Buffer.alloc(0);

export interface EpTransactionProof {
  /** MAC2 (4 bytes): the card's for a purchase, the host's (as verified) for a load. */
  readonly mac2: Buffer;
  /** TAC (4 bytes). */
  readonly tac: Buffer;
}

/** Store key of the proofs of transaction type `type` (0 to 255). */
export function epProofsKey(type: number): string {
  return appValueKey(EP_AID_HEX, `proofs/${type.toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * Stage the proof of the transaction of `type` that leaves its counter at `counterAfter` (0 to
 * 65535). Throws `RangeError` for a MAC2 or TAC that is not 4 bytes.
 */
export function stageEpProof(tx: StoreTransaction, type: number, counterAfter: number, proof: EpTransactionProof): void {
  if (proof.mac2.length !== 4 || proof.tac.length !== 4) throw new RangeError('MAC2 and TAC are 4 bytes each');
  const key = epProofsKey(type);
  const old = tx.get(key) ?? EMPTY;
  const kept = Math.min(Math.floor(old.length / ENTRY_LENGTH), EP_PROOFS_KEPT - 1);
  const entry = Buffer.allocUnsafe(ENTRY_LENGTH);
  entry.writeUInt16BE(counterAfter, 0);
  entry.set(proof.mac2, 2);
  entry.set(proof.tac, 6);
  tx.set(key, Buffer.concat([entry, old.subarray(0, kept * ENTRY_LENGTH)]));
}

/**
 * The proof of the committed transaction of `type` that left its counter at `counterAfter`, or
 * undefined when no such transaction committed (or it is older than the last `EP_PROOFS_KEPT`).
 * Throws `CardError` `6581` for a stored value of the wrong shape.
 */
export function storedEpProof(store: PersistentStore, type: number, counterAfter: number): EpTransactionProof | undefined {
  const key = epProofsKey(type);
  const value = store.get(key);
  if (value === undefined) return undefined;
  if (value.length % ENTRY_LENGTH !== 0 || value.length > EP_PROOFS_KEPT * ENTRY_LENGTH) throw corruptValue(key);
  for (let at = 0; at < value.length; at += ENTRY_LENGTH) {
    if (value.readUInt16BE(at) === counterAfter) {
      return { mac2: Buffer.from(value.subarray(at + 2, at + 6)), tac: Buffer.from(value.subarray(at + 6, at + 10)) };
    }
  }
  return undefined;
}
