import Database from 'better-sqlite3';
import { type AuditChainReport, verifyAuditChain } from './verifyAuditChain.js';

/**
 * Opens the backend database read-only and verifies its audit chain (for `citycard backend audit verify`).
 * @throws the driver's error (with its cause) when the file cannot be opened or has no audit_log table.
 */
export function verifyAuditChainFile(databaseFile: string): AuditChainReport {
  const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    return verifyAuditChain(db);
  } finally {
    db.close();
  }
}

/** One line for the terminal; exit code 0 when the chain is sound, 1 when broken. */
export function formatAuditChainReport(report: AuditChainReport): { text: string; exitCode: 0 | 1 } {
  if (report.ok) {
    return { text: `audit chain OK: ${report.entries} entries, head ${report.headHash}`, exitCode: 0 };
  }
  return {
    text: `audit chain BROKEN at seq ${report.firstBrokenSeq} (${report.reason}); ${report.entries} entries before it are sound`,
    exitCode: 1,
  };
}
