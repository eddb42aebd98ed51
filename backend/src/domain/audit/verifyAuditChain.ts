import type { Database } from 'better-sqlite3';
import { AuditRepository } from '../../data/auditRepository.js';
import { GENESIS_HASH, auditEntryHash } from './auditHash.js';

/** Why the chain broke at firstBrokenSeq. */
export type AuditBreak =
  | 'missing-entry' // seq numbers jump: an entry was deleted
  | 'prev-hash-mismatch' // the entry does not point at its predecessor: reordered or spliced
  | 'hash-mismatch'; // the entry's content no longer matches its hash: edited

export type AuditChainReport =
  | { readonly ok: true; readonly entries: number; readonly headHash: string }
  | {
      readonly ok: false;
      /** Entries checked and found sound before the break. */
      readonly entries: number;
      readonly firstBrokenSeq: number;
      readonly reason: AuditBreak;
    };

/**
 * Proves the audit chain from seq 1 to the newest entry: seqs without gaps, each prevHash equal to
 * the previous hash, each hash recomputed from the stored fields. Reports the first broken seq.
 * Truncating the newest entries leaves a valid shorter chain: compare headHash with a copy kept
 * elsewhere to detect that.
 */
export function verifyAuditChain(db: Database): AuditChainReport {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (const e of new AuditRepository(db).iterate()) {
    const entries = expectedSeq - 1;
    if (e.seq !== expectedSeq) return { ok: false, entries, firstBrokenSeq: expectedSeq, reason: 'missing-entry' };
    if (e.prevHash !== prevHash) return { ok: false, entries, firstBrokenSeq: e.seq, reason: 'prev-hash-mismatch' };
    if (auditEntryHash(e) !== e.hash) return { ok: false, entries, firstBrokenSeq: e.seq, reason: 'hash-mismatch' };
    prevHash = e.hash;
    expectedSeq += 1;
  }
  return { ok: true, entries: expectedSeq - 1, headHash: prevHash };
}
