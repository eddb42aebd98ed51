import { beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { StaffApprovalRepository } from '../../backend/src/data/staffApprovalRepository.js';
import { StaffRepository } from '../../backend/src/data/staffRepository.js';
import { Approvals } from '../../backend/src/domain/approvals/approvals.js';
import { ApprovalForbiddenError, ApprovalKindError, ApprovalStateError } from '../../backend/src/domain/approvals/errors.js';
import { HOTLIST_KEY_ROTATE } from '../../backend/src/domain/approvals/hotlistKeyCeremony.js';
import { REFUND, defineRefundKind } from '../../backend/src/domain/approvals/refundKind.js';
import { MemoryAuditSink } from '../../backend/src/domain/audit/auditSink.js';
import { ROLES, type Role, type StaffPrincipal } from '../../backend/src/domain/staff/roles.js';

const T0 = new Date('2025-03-01T08:00:00.000Z');
const REVOKE = { cardId: 'CARD-0001', reason: 'stolen' };
const REFUND_PAYLOAD = { cardNumber: '1000000000000001', amountFen: 1250, reason: 'duplicate-charge', transactionRef: 'T-300000000001:000042' };

let now: Date;
let approvals: Approvals;
let audit: MemoryAuditSink;
let repo: StaffApprovalRepository;
const people: Record<string, StaffPrincipal> = {};

beforeEach(() => {
  const db = openDatabase(':memory:');
  migrate(db);
  const staff = new StaffRepository(db);
  for (const [username, role] of [['clerk1', 'clerk'], ['clerk2', 'clerk'], ['sup1', 'supervisor'], ['sup2', 'supervisor'], ['aud1', 'auditor'], ['adm1', 'admin']] as [string, Role][]) {
    const at = T0.toISOString();
    staff.insert({ id: `id-${username}`, username, displayName: username, role, passwordHash: 'x', mustChangePassword: false, disabled: false, createdAt: at, updatedAt: at });
    people[username] = { id: `id-${username}`, username, role };
  }
  now = T0;
  audit = new MemoryAuditSink();
  repo = new StaffApprovalRepository(db);
  approvals = new Approvals(repo, audit, loadConfig({}).approvalTtlMinutes, () => now);
  approvals.defineKind({ kind: 'card.revoke', description: 'revoke a card', payload: z.strictObject({ cardId: z.string(), reason: z.string() }) });
});

const p = (name: string): StaffPrincipal => people[name] as StaffPrincipal;

describe('dual control', () => {
  it('request by one, approve by another returns the payload once', () => {
    const req = approvals.requestApproval('card.revoke', REVOKE, p('clerk1'));
    expect(req).toMatchObject({ status: 'pending', requestedBy: 'id-clerk1', expiresAt: '2025-03-02T08:00:00.000Z' });
    const { approval, payload } = approvals.approve(req.id, p('sup1'));
    expect(payload).toEqual(REVOKE);
    expect(approval).toMatchObject({ status: 'approved', decidedBy: 'id-sup1' });
    expect(() => approvals.approve(req.id, p('sup2'))).toThrow(ApprovalStateError);
    expect(audit.entries.map((e) => [e.action, e.actor])).toEqual([
      ['approval.request', 'id-clerk1'],
      ['approval.approve', 'id-sup1'],
    ]);
  });

  it('refuses self-approval, even by a supervisor', () => {
    const req = approvals.requestApproval('card.revoke', REVOKE, p('sup1'));
    expect(() => approvals.approve(req.id, p('sup1'))).toThrow(ApprovalForbiddenError);
    expect(approvals.get(req.id).status).toBe('pending');
    expect(approvals.approve(req.id, p('adm1')).approval.status).toBe('approved');
  });

  it('refuses approvers without a sufficient role', () => {
    const req = approvals.requestApproval('card.revoke', REVOKE, p('clerk1'));
    expect(() => approvals.approve(req.id, p('clerk2'))).toThrow(/role clerk may not approve/);
    expect(() => approvals.approve(req.id, p('aud1'))).toThrow(ApprovalForbiddenError);
    expect(approvals.get(req.id).status).toBe('pending');
  });

  it('refuses requesters without a sufficient role, unknown kinds and bad payloads', () => {
    expect(() => approvals.requestApproval('card.revoke', REVOKE, p('aud1'))).toThrow(ApprovalForbiddenError);
    expect(() => approvals.requestApproval('card.melt', REVOKE, p('clerk1'))).toThrow(ApprovalKindError);
    expect(() => approvals.requestApproval('card.revoke', { cardId: 7 }, p('clerk1'))).toThrow(ApprovalKindError);
    expect(approvals.list()).toEqual([]);
  });

  it('expires: approval after 24 h is refused and the request is marked expired', () => {
    const req = approvals.requestApproval('card.revoke', REVOKE, p('clerk1'));
    now = new Date(T0.getTime() + 24 * 3600_000);
    expect(() => approvals.approve(req.id, p('sup1'))).toThrow(/expired/);
    expect(approvals.get(req.id)).toMatchObject({ status: 'expired', reason: 'not decided in time' });
    expect(() => approvals.approve(req.id, p('sup1'))).toThrow(ApprovalStateError);
  });

  it('approves just before expiry', () => {
    const req = approvals.requestApproval('card.revoke', REVOKE, p('clerk1'));
    now = new Date(T0.getTime() + 24 * 3600_000 - 1);
    expect(approvals.approve(req.id, p('sup1')).approval.status).toBe('approved');
  });

  it('reject by an approver or withdrawal by the requester; not by another clerk', () => {
    const a = approvals.requestApproval('card.revoke', REVOKE, p('clerk1'));
    expect(() => approvals.reject(a.id, p('clerk2'), 'no')).toThrow(ApprovalForbiddenError);
    expect(approvals.reject(a.id, p('clerk1'), 'typo').status).toBe('rejected');
    const b = approvals.requestApproval('card.revoke', REVOKE, p('clerk1'));
    expect(approvals.reject(b.id, p('sup1'), 'card found').reason).toBe('card found');
    expect(() => approvals.approve(b.id, p('sup2'))).toThrow(ApprovalStateError);
  });

  it('a kind is defined once', () => {
    expect(() => approvals.defineKind({ kind: 'card.revoke', description: 'again', payload: z.unknown() })).toThrow(ApprovalKindError);
  });
});

describe('the refund kind', () => {
  beforeEach(() => defineRefundKind(approvals));

  it('is asked for at the desk and approved by a supervisor, who gets the payload back (clearing pays it out)', () => {
    const req = approvals.requestApproval(REFUND, REFUND_PAYLOAD, p('clerk1'));
    expect(req).toMatchObject({ kind: 'refund', status: 'pending', payload: REFUND_PAYLOAD });
    expect(() => approvals.approve(req.id, p('clerk2'))).toThrow(ApprovalForbiddenError);
    expect(approvals.approve(req.id, p('sup1')).payload).toEqual(REFUND_PAYLOAD);
    expect(approvals.kind(REFUND).execute).toBeUndefined();
  });

  it('refuses payloads outside 1 fen..2^32-1 fen, card numbers not of 16 digits, free-text reasons and unknown fields', () => {
    const { transactionRef: _, ...withoutRef } = REFUND_PAYLOAD;
    expect(approvals.requestApproval(REFUND, withoutRef, p('clerk1')).status).toBe('pending');
    expect(approvals.requestApproval(REFUND, { ...REFUND_PAYLOAD, amountFen: 0xffff_ffff }, p('clerk1')).status).toBe('pending');
    for (const bad of [
      { ...REFUND_PAYLOAD, amountFen: 0 },
      { ...REFUND_PAYLOAD, amountFen: 0x1_0000_0000 },
      { ...REFUND_PAYLOAD, amountFen: 12.5 },
      { ...REFUND_PAYLOAD, cardNumber: '100000000000001' },
      { ...REFUND_PAYLOAD, reason: 'customer was upset' },
      { ...REFUND_PAYLOAD, transactionRef: 'has space' },
      { ...REFUND_PAYLOAD, note: 'x' },
    ]) {
      expect(() => approvals.requestApproval(REFUND, bad, p('clerk1'))).toThrow(ApprovalKindError);
    }
  });
});

describe('approval kinds x roles, as the backend defines them', () => {
  const SENIOR: readonly Role[] = ['supervisor', 'admin'];
  const DESK: readonly Role[] = ['clerk', 'supervisor', 'admin'];
  const KINDS: { kind: string; payload: unknown; requesters: readonly Role[]; approvers: readonly Role[] }[] = [
    { kind: 'card.revoke', payload: REVOKE, requesters: SENIOR, approvers: SENIOR },
    { kind: 'card.reissue', payload: { cardId: 'CARD-0001', reason: 'lost' }, requesters: DESK, approvers: SENIOR },
    { kind: HOTLIST_KEY_ROTATE, payload: { reason: 'scheduled' }, requesters: SENIOR, approvers: SENIOR },
    { kind: REFUND, payload: REFUND_PAYLOAD, requesters: DESK, approvers: SENIOR },
  ];
  const principal = (role: Role, n: number): StaffPrincipal => ({ id: `id-${role}${n}`, username: `${role}${n}`, role });
  let backendApprovals: Approvals;

  beforeEach(() => {
    const db = openDatabase(':memory:');
    migrate(db);
    const staff = new StaffRepository(db);
    const at = T0.toISOString();
    for (const s of [...ROLES.map((role) => principal(role, 1)), principal('admin', 9)]) {
      staff.insert({ id: s.id, username: s.username, displayName: s.username, role: s.role, passwordHash: 'x', mustChangePassword: false, disabled: false, createdAt: at, updatedAt: at });
    }
    backendApprovals = createApp({ config: loadConfig({}), db }).context.approvals;
  });

  for (const k of KINDS) {
    for (const role of ROLES) {
      const mayAsk = k.requesters.includes(role);
      it(`${k.kind}: ${role} ${mayAsk ? 'may' : 'may not'} request it`, () => {
        const ask = () => backendApprovals.requestApproval(k.kind, k.payload, principal(role, 1));
        if (mayAsk) expect(ask().status).toBe('pending');
        else expect(ask).toThrow(ApprovalForbiddenError);
      });
      const mayApprove = k.approvers.includes(role);
      it(`${k.kind}: ${role} ${mayApprove ? 'may' : 'may not'} approve someone else's request`, () => {
        const req = backendApprovals.requestApproval(k.kind, k.payload, principal('admin', 9));
        const approve = () => backendApprovals.approve(req.id, principal(role, 1));
        if (mayApprove) expect(approve().approval.status).toBe('approved');
        else expect(approve).toThrow(ApprovalForbiddenError);
      });
    }
  }
});
