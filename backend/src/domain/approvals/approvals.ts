/**
 * Dual control. A sensitive action is first requested by one staff member
 * ({@link Approvals.requestApproval}), then approved by a different one holding an approver role
 * ({@link Approvals.approve}, which hands back the payload to execute), or rejected; a request not
 * decided before it expires can no longer be approved. Each kind is defined once by the module
 * that owns the action (payload schema, who may request, who may approve, optional executor).
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { ApprovalRecord, ApprovalStatus, StaffApprovalRepository } from '../../data/staffApprovalRepository.js';
import type { AuditSink } from '../audit/auditSink.js';
import { type Clock, addMinutes } from '../staff/clock.js';
import type { Role, StaffPrincipal } from '../staff/roles.js';
import { ApprovalForbiddenError, ApprovalKindError, ApprovalNotFoundError, ApprovalStateError } from './errors.js';

export interface ApprovalKind<P = unknown> {
  /** Dotted name, e.g. 'card.revoke'. */
  kind: string;
  /** Short description shown to the approver. */
  description: string;
  payload: z.ZodType<P>;
  /** Roles that may request it; default clerk, supervisor, admin. */
  requesterRoles?: readonly Role[];
  /** Roles that may approve it; default supervisor, admin. */
  approverRoles?: readonly Role[];
  /** Runs the action once approved (used by the generic approve route). */
  execute?: (payload: P, ctx: { approval: ApprovalView; approver: StaffPrincipal }) => unknown;
}

export interface ApprovalView {
  id: string;
  kind: string;
  payload: unknown;
  status: ApprovalStatus;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}

const DEFAULT_REQUESTERS: readonly Role[] = ['clerk', 'supervisor', 'admin'];
const DEFAULT_APPROVERS: readonly Role[] = ['supervisor', 'admin'];

function toView(r: ApprovalRecord): ApprovalView {
  return { ...r, payload: JSON.parse(r.payload) as unknown };
}

export class Approvals {
  private readonly kinds = new Map<string, ApprovalKind<never>>();

  constructor(
    private readonly repo: StaffApprovalRepository,
    private readonly audit: AuditSink,
    private readonly ttlMinutes: number,
    private readonly clock: Clock,
  ) {}

  /** @throws ApprovalKindError when the kind is already defined. */
  defineKind<P>(def: ApprovalKind<P>): void {
    if (this.kinds.has(def.kind)) throw new ApprovalKindError(`approval kind ${def.kind} is already defined`);
    this.kinds.set(def.kind, def as unknown as ApprovalKind<never>);
  }

  kind(name: string): ApprovalKind<unknown> {
    const def = this.kinds.get(name);
    if (def === undefined) throw new ApprovalKindError(`unknown approval kind ${name}`);
    return def as unknown as ApprovalKind<unknown>;
  }

  /**
   * Records a pending request.
   * @throws ApprovalKindError for an unknown kind or a payload that fails its schema;
   *   ApprovalForbiddenError when the requester's role may not request this kind.
   */
  requestApproval(kind: string, payload: unknown, requester: StaffPrincipal): ApprovalView {
    const def = this.kind(kind);
    if (!(def.requesterRoles ?? DEFAULT_REQUESTERS).includes(requester.role)) {
      throw new ApprovalForbiddenError(`role ${requester.role} may not request ${kind}`);
    }
    const parsed = def.payload.safeParse(payload);
    if (!parsed.success) throw new ApprovalKindError(`payload does not fit ${kind}: ${parsed.error.issues.map((i) => i.message).join('; ')}`, { cause: parsed.error });
    const now = this.clock();
    const record: ApprovalRecord = {
      id: randomUUID(),
      kind,
      payload: JSON.stringify(parsed.data),
      status: 'pending',
      requestedBy: requester.id,
      requestedAt: now.toISOString(),
      expiresAt: addMinutes(now, this.ttlMinutes).toISOString(),
      decidedBy: null,
      decidedAt: null,
      reason: null,
    };
    this.repo.insert(record);
    this.audit.record({ at: record.requestedAt, actor: requester.id, action: 'approval.request', target: record.id, details: { kind } });
    return toView(record);
  }

  /**
   * Approves a pending request and returns its payload for the caller to execute.
   * @throws ApprovalNotFoundError; ApprovalForbiddenError when the approver requested it or their
   *   role may not approve this kind; ApprovalStateError when it is no longer pending or has expired.
   */
  approve(id: string, approver: StaffPrincipal): { approval: ApprovalView; payload: unknown } {
    const cur = this.pending(id);
    const def = this.kind(cur.kind);
    if (cur.requestedBy === approver.id) throw new ApprovalForbiddenError('a request must be approved by someone other than its requester');
    if (!(def.approverRoles ?? DEFAULT_APPROVERS).includes(approver.role)) {
      throw new ApprovalForbiddenError(`role ${approver.role} may not approve ${cur.kind}`);
    }
    const at = this.clock().toISOString();
    if (!this.repo.decide(id, 'approved', approver.id, at, null)) throw new ApprovalStateError(`approval ${id} is no longer pending`);
    this.audit.record({ at, actor: approver.id, action: 'approval.approve', target: id, details: { kind: cur.kind, requestedBy: cur.requestedBy } });
    const approval = this.get(id);
    return { approval, payload: approval.payload };
  }

  /**
   * Rejects a pending request (its requester may withdraw it; an approver may refuse it).
   * @throws as {@link approve}, except that the requester may reject their own request.
   */
  reject(id: string, who: StaffPrincipal, reason: string): ApprovalView {
    const cur = this.pending(id);
    const def = this.kind(cur.kind);
    if (cur.requestedBy !== who.id && !(def.approverRoles ?? DEFAULT_APPROVERS).includes(who.role)) {
      throw new ApprovalForbiddenError(`role ${who.role} may not reject ${cur.kind}`);
    }
    const at = this.clock().toISOString();
    if (!this.repo.decide(id, 'rejected', who.id, at, reason)) throw new ApprovalStateError(`approval ${id} is no longer pending`);
    this.audit.record({ at, actor: who.id, action: 'approval.reject', target: id, details: { kind: cur.kind, reason } });
    return this.get(id);
  }

  /** @throws ApprovalNotFoundError */
  get(id: string): ApprovalView {
    const r = this.repo.get(id);
    if (r === undefined) throw new ApprovalNotFoundError(id);
    return toView(r);
  }

  list(filter: { status?: ApprovalStatus; limit?: number } = {}): ApprovalView[] {
    return this.repo.list({ ...filter, limit: filter.limit ?? 100 }).map(toView);
  }

  /** The request if still pending; marks it expired (and throws) when its time has passed. */
  private pending(id: string): ApprovalRecord {
    const cur = this.repo.get(id);
    if (cur === undefined) throw new ApprovalNotFoundError(id);
    if (cur.status !== 'pending') throw new ApprovalStateError(`approval ${id} is already ${cur.status}`);
    const now = this.clock();
    if (now >= new Date(cur.expiresAt)) {
      this.repo.decide(id, 'expired', null, now.toISOString(), 'not decided in time');
      this.audit.record({ at: now.toISOString(), actor: 'system', action: 'approval.expire', target: id, details: { kind: cur.kind } });
      throw new ApprovalStateError(`approval ${id} expired at ${cur.expiresAt}`);
    }
    return cur;
  }
}
