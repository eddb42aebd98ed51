/** Dual-control approvals (table `approvals`). */
import type { Db } from './db.js';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';

export interface ApprovalRecord {
  id: string;
  kind: string;
  /** The action's parameters, as JSON text. */
  payload: string;
  status: ApprovalStatus;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}

interface Row {
  id: string;
  kind: string;
  payload: string;
  status: ApprovalStatus;
  requested_by: string;
  requested_at: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
}

function toRecord(r: Row): ApprovalRecord {
  return {
    id: r.id,
    kind: r.kind,
    payload: r.payload,
    status: r.status,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    expiresAt: r.expires_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    reason: r.reason,
  };
}

export class StaffApprovalRepository {
  constructor(private readonly db: Db) {}

  insert(a: ApprovalRecord): void {
    this.db
      .prepare(
        `INSERT INTO approvals (id, kind, payload, status, requested_by, requested_at, expires_at, decided_by, decided_at, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(a.id, a.kind, a.payload, a.status, a.requestedBy, a.requestedAt, a.expiresAt, a.decidedBy, a.decidedAt, a.reason);
  }

  get(id: string): ApprovalRecord | undefined {
    const r = this.db.prepare('SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
    return r === undefined ? undefined : toRecord(r);
  }

  list(filter: { status?: ApprovalStatus; limit: number }): ApprovalRecord[] {
    const rows =
      filter.status === undefined
        ? this.db.prepare('SELECT * FROM approvals ORDER BY requested_at DESC, id LIMIT ?').all(filter.limit)
        : this.db.prepare('SELECT * FROM approvals WHERE status = ? ORDER BY requested_at DESC, id LIMIT ?').all(filter.status, filter.limit);
    return (rows as Row[]).map(toRecord);
  }

  /**
   * Moves a pending approval to a final status; false when it was no longer pending (another
   * approver won the race), so an action can never be approved twice.
   */
  decide(id: string, status: Exclude<ApprovalStatus, 'pending'>, decidedBy: string | null, at: string, reason: string | null): boolean {
    return (
      this.db
        .prepare("UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND status = 'pending'")
        .run(status, decidedBy, at, reason, id).changes === 1
    );
  }
}
