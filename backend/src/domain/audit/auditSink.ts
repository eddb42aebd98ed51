/**
 * Where privileged actions are recorded. The hash-chained audit log implements this port; until
 * it is wired in, {@link MemoryAuditSink} keeps entries in memory (tests, first boot).
 */

/** One audited fact. `details` must never hold a password, token, PIN or key. */
export interface AuditEntry {
  /** ISO-8601 UTC time of the action. */
  at: string;
  /** Who did it: a staff id, or 'system'. */
  actor: string;
  /** Dotted verb, e.g. 'staff.login', 'approval.approve'. */
  action: string;
  /** What it was done to (an id), when there is one. */
  target?: string;
  details?: Record<string, unknown>;
}

export interface AuditSink {
  /** Records one entry; throws if it cannot (a privileged action must not go unrecorded). */
  record(entry: AuditEntry): void;
}

/** Keeps entries in memory, in order. */
export class MemoryAuditSink implements AuditSink {
  readonly entries: AuditEntry[] = [];
  record(entry: AuditEntry): void {
    this.entries.push(structuredClone(entry));
  }
}
