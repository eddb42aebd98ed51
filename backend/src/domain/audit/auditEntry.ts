/** One stored, chained audit entry. */
export interface AuditRecord {
  /** 1, 2, 3, ... without gaps. */
  readonly seq: number;
  /** ISO-8601 UTC time of the action, as the caller stated it. */
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  /** Id of the thing acted on (AuditEntry.target), or null. */
  readonly subject: string | null;
  /** Canonical JSON text of the details (sorted keys, no whitespace). */
  readonly details: string;
  /** Hex SHA-256 of the previous entry, or GENESIS_HASH for seq 1. */
  readonly prevHash: string;
  /** Hex SHA-256 over the canonical encoding of this entry and prevHash. */
  readonly hash: string;
}
