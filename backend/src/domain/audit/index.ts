export type { AuditRecord } from './auditEntry.js';
export type { AuditEntry, AuditSink } from './auditSink.js';
export { AuditLog } from './auditLog.js';
export { GENESIS_HASH, auditEntryHash } from './auditHash.js';
export { AuditEntryError } from './errors.js';
export { verifyAuditChain, type AuditChainReport, type AuditBreak } from './verifyAuditChain.js';
export { verifyAuditChainFile, formatAuditChainReport } from './auditVerifyCommand.js';
