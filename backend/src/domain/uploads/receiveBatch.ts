/**
 * A terminal's batch of purse records reaches the inbox, as a short story (`receiveBatch`):
 *
 * 1. The batch and every record in it name the calling terminal: a terminal sends only its own data.
 * 2. The signature verifies with the terminal's registered upload key.
 * 3. In ONE transaction, before answering:
 *    - a batch id already received answers its stored ack again (same content) or is refused
 *      (other content): a retry never inserts twice;
 *    - otherwise the batch is stored, and each record is classified against the inbox by its
 *      natural keys: new (stored), the same content already held (duplicate, not stored), or
 *      other content under a held key (stored as a conflict row pointing at the first row: a
 *      clone signal for clearing, never dropped).
 *
 * Batches may arrive in any order; nothing depends on the previous one.
 */
import type { Database } from 'better-sqlite3';
import { type NaturalKey, UploadInboxRepository, UploadKeyRepository } from '../../data/uploadInboxRepository.js';
import { BatchIdReusedError, BatchSignatureError, UploadKeyMissingError, WrongTerminalError } from './errors.js';
import type { BatchAck, SignedBatch, UploadedRecord } from './uploadSchemas.js';
import { BATCH_CONTEXT, canonicalJson, publicKeyFromHex, recordDigest, signatureValid, signingDigest } from './uploadSigning.js';

export interface ReceiveBatchDeps {
  readonly db: Database;
  readonly clock: () => Date;
}

/**
 * Stores a signed batch from `terminalNumber` (the authenticated caller) in the inbox.
 * @throws WrongTerminalError, UploadKeyMissingError, BatchSignatureError, BatchIdReusedError;
 *   nothing is stored when it throws.
 */
export function receiveBatch(deps: ReceiveBatchDeps, terminalNumber: string, batch: SignedBatch): BatchAck {
  if (batch.terminal !== terminalNumber) throw new WrongTerminalError('the batch');
  const stranger = batch.records.findIndex((r) => r.terminal !== terminalNumber);
  if (stranger >= 0) throw new WrongTerminalError(`record ${stranger}`);

  const registered = new UploadKeyRepository(deps.db).find(terminalNumber);
  if (registered === undefined) throw new UploadKeyMissingError();
  const { signature, ...signed } = batch;
  const digest = signingDigest(BATCH_CONTEXT, signed);
  const key = publicKeyFromHex(registered.publicKey);
  if (key === undefined || !signatureValid(key, digest, signature)) throw new BatchSignatureError();
  const digestHex = digest.toString('hex').toUpperCase();

  const inbox = new UploadInboxRepository(deps.db);
  // IMMEDIATE: two deliveries of one batch serialize here, and the second sees the first.
  return deps.db.transaction((): BatchAck => {
    const known = inbox.findBatch(batch.batchId);
    if (known !== undefined) {
      if (known.digest !== digestHex || known.terminalNumber !== terminalNumber) throw new BatchIdReusedError(batch.batchId);
      return { batchId: known.batchId, accepted: known.accepted, duplicates: known.duplicates, conflicts: known.conflicts };
    }
    const receivedAt = deps.clock().toISOString();
    const counts = { accepted: 0, duplicates: 0, conflicts: 0 };
    inbox.insertBatch({
      batchId: batch.batchId,
      terminalNumber,
      digest: digestHex,
      signature,
      publicKey: registered.publicKey,
      createdAt: batch.createdAt,
      receivedAt,
      recordCount: batch.records.length,
      ...counts,
    });
    batch.records.forEach((record, position) => {
      const key = naturalKey(record);
      const digestOfRecord = recordDigest(record);
      const held = inbox.matches(key);
      if (held.some((m) => m.recordDigest === digestOfRecord)) {
        counts.duplicates += 1;
        return;
      }
      // A conflict points at the root of its group, even when it only meets another conflict row.
      const conflictOf = held.length === 0 ? null : Math.min(...held.map((m) => m.conflictOf ?? m.id));
      inbox.insertRecord({
        batchId: batch.batchId,
        position,
        ...key,
        amount: record.amount,
        recordDigest: digestOfRecord,
        record: canonicalJson(record),
        conflictOf,
        receivedAt,
      });
      counts.accepted += 1;
      if (conflictOf !== null) counts.conflicts += 1;
    });
    inbox.setBatchCounts(batch.batchId, counts);
    return { batchId: batch.batchId, ...counts };
  }).immediate();
}

function naturalKey(record: UploadedRecord): NaturalKey {
  return record.kind === 'purchase'
    ? { kind: 'purchase', cardNumber: record.cardNumber, counter: record.offlineCounter, terminalNumber: record.terminal, ttsn: record.ttsn }
    : { kind: 'load', cardNumber: record.cardNumber, counter: record.onlineCounter, terminalNumber: record.terminal, ttsn: null };
}
