import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate, readMigrations } from '../../backend/src/data/migrate.js';
import { AuditLog, verifyAuditChain } from '../../backend/src/domain/audit/index.js';
import { CardholderNotFoundError, CardholderRegistry } from '../../backend/src/domain/cardholders/index.js';
import {
  CARD_STATES,
  CardLifecycle,
  CardNotFoundError,
  CardholderHasLiveCardError,
  DualControlRequiredError,
  InvalidTransitionError,
  TRANSITIONS,
  TransitionNotPermittedError,
  type CardState,
  type LifecycleActor,
  type LifecycleRole,
  actorFromStaff,
  transitionBodySchema,
} from '../../backend/src/domain/cards/index.js';

const FIXED_NOW = new Date('2026-03-01T08:00:00.000Z');
const THREE_DAYS_LATER = '2026-03-04T08:00:00.000Z';

/** The lifecycle graph as the issue states it; the table in transitions.ts must match exactly. */
const EXPECTED_EDGES = [
  'applied>approved',
  'approved>personalized',
  'personalized>issued',
  'issued>active',
  'active>blocked',
  'blocked>active',
  'active>replaced',
  'blocked>replaced',
  'active>revoked',
  'blocked>revoked',
  'active>expired',
  'blocked>expired',
];
const DUAL_CONTROL_EDGES = ['blocked>replaced', 'active>revoked', 'blocked>revoked'];
const ALL_ROLES: readonly LifecycleRole[] = ['clerk', 'supervisor', 'auditor', 'admin', 'system'];

const CLERK: LifecycleActor = { id: 'clerk-1', roles: ['clerk'] };
const SUPERVISOR: LifecycleActor = { id: 'sup-1', roles: ['supervisor'] };
const SECOND_SUPERVISOR: LifecycleActor = { id: 'sup-2', roles: ['supervisor'] };
const OMNI: LifecycleActor = { id: 'omni-1', roles: ALL_ROLES };

// A valid path from a fresh application to each state.
const PATH_TO: Record<CardState, readonly CardState[]> = {
  applied: [],
  approved: ['approved'],
  personalized: ['approved', 'personalized'],
  issued: ['approved', 'personalized', 'issued'],
  active: ['approved', 'personalized', 'issued', 'active'],
  blocked: ['approved', 'personalized', 'issued', 'active', 'blocked'],
  replaced: ['approved', 'personalized', 'issued', 'active', 'replaced'],
  revoked: ['approved', 'personalized', 'issued', 'active', 'revoked'],
  expired: ['approved', 'personalized', 'issued', 'active', 'expired'],
};

// The backend's runner with this area's migrations (010-019) only: the suite owns its schema.
function openDb(dataDir: string): Db {
  const db = openDatabase(dataDir);
  migrate(db, readMigrations().filter((m) => m.version >= 10 && m.version <= 19));
  return db;
}

let dir: string;
let db: Db;
let audit: AuditLog;
let registry: CardholderRegistry;
let lifecycle: CardLifecycle;
let ids: number;
const newId = (): string => `id-${++ids}`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'citycard-lifecycle-'));
  db = openDb(dir);
  ids = 0;
  audit = new AuditLog(db);
  registry = new CardholderRegistry(db, audit, { clock: () => FIXED_NOW, newId });
  lifecycle = new CardLifecycle(db, audit, { clock: () => FIXED_NOW, newId });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function enroll(): string {
  const n = ids + 1;
  return registry.enroll(
    {
      kind: 'floating',
      fullName: 'Li Na',
      birthDate: '1990-01-01',
      address: 'Laoshan District',
      residencePermit: { number: `PERMIT-${String(n).padStart(6, '0')}`, expiresOn: '2027-01-01' },
    },
    'clerk-1',
  ).id;
}

/** A new card of a new cardholder, driven along valid transitions into `state`. */
function cardIn(state: CardState): string {
  const card = lifecycle.applyForCard(enroll(), CLERK);
  for (const to of PATH_TO[state]) lifecycle.changeState(card.id, to, { actor: OMNI, approvedBy: SECOND_SUPERVISOR });
  expect(lifecycle.get(card.id).state).toBe(state);
  return card.id;
}

const auditCount = (): number => db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM audit_log').get()!.n;
const edge = (from: CardState, to: CardState): string => `${from}>${to}`;

describe('transition table', () => {
  it('is exactly the lifecycle graph of the issue, with dual control where required', () => {
    expect(TRANSITIONS.map((t) => edge(t.from, t.to))).toEqual(EXPECTED_EDGES);
    expect(TRANSITIONS.filter((t) => t.dualControl).map((t) => edge(t.from, t.to))).toEqual(DUAL_CONTROL_EDGES);
    expect(TRANSITIONS.every((t) => !t.roles.includes('auditor'))).toBe(true);
  });
});

describe('docs/card-lifecycle.md', () => {
  it('states the same transition table as the code', () => {
    const doc = readFileSync(new URL('../../docs/card-lifecycle.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (\w+) \| (\w+) \| `card\.([\w-]+)` \| ([^|]+) \| (\*\*yes\*\*|no) \|/gm)].map(
      (m) => ({ from: m[1], to: m[2], event: m[3], roles: m[4]!.trim().split(', '), dualControl: m[5] !== 'no' }),
    );
    expect(rows).toEqual(TRANSITIONS.map((t) => ({ ...t, roles: [...t.roles] })));
  });
});

describe('full from x to matrix', () => {
  for (const from of CARD_STATES) {
    for (const to of CARD_STATES) {
      const valid = EXPECTED_EDGES.includes(edge(from, to));
      it(`${from} -> ${to} is ${valid ? 'allowed' : 'refused'}`, () => {
        const cardId = cardIn(from);
        const before = auditCount();
        if (valid) {
          const t = TRANSITIONS.find((x) => x.from === from && x.to === to)!;
          const actor: LifecycleActor = { id: 'actor-1', roles: t.roles };
          const after = lifecycle.changeState(cardId, to, { actor, approvedBy: SECOND_SUPERVISOR });
          expect(after.state).toBe(to);
          expect(lifecycle.get(cardId).state).toBe(to);
          expect(auditCount()).toBeGreaterThan(before);
          expect(audit.forSubject(cardId).at(-1)).toMatchObject({ actor: 'actor-1', action: `card.${t.event}` });
        } else {
          let error: unknown;
          try {
            lifecycle.changeState(cardId, to, { actor: OMNI, approvedBy: SECOND_SUPERVISOR });
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(InvalidTransitionError);
          const e = error as InvalidTransitionError;
          expect([e.from, e.to]).toEqual([from, to]);
          expect(e.message).toContain(`from ${from} to ${to}`);
          expect(e.reason.length).toBeGreaterThan(0);
          expect(lifecycle.get(cardId).state).toBe(from);
          expect(auditCount()).toBe(before);
        }
      });
    }
  }

  it('gives a reason that names the way forward or the finality', () => {
    const applied = cardIn('applied');
    expect(() => lifecycle.activate(applied, { actor: OMNI })).toThrow(
      'card cannot go from applied to active: from applied a card can only become approved',
    );
    const active = cardIn('active');
    expect(() => lifecycle.activate(active, { actor: OMNI })).toThrow('the card is already active');
    const revoked = cardIn('revoked');
    expect(() => lifecycle.reportFound(revoked, { actor: OMNI })).toThrow('a revoked card is final and never changes state');
  });
});

describe('roles and dual control', () => {
  for (const t of TRANSITIONS) {
    for (const role of ALL_ROLES.filter((r) => !t.roles.includes(r))) {
      it(`${t.from} -> ${t.to} is refused to a ${role}`, () => {
        const cardId = cardIn(t.from);
        expect(() =>
          lifecycle.changeState(cardId, t.to, { actor: { id: 'x-1', roles: [role] }, approvedBy: SECOND_SUPERVISOR }),
        ).toThrow(TransitionNotPermittedError);
        expect(lifecycle.get(cardId).state).toBe(t.from);
      });
    }
  }

  for (const e of DUAL_CONTROL_EDGES) {
    const [from, to] = e.split('>') as [CardState, CardState];
    it(`${e} needs a second, different supervisor or admin`, () => {
      const cardId = cardIn(from);
      const before = auditCount();
      const refuse = (approvedBy: LifecycleActor | undefined, why: string): void => {
        expect(() => lifecycle.changeState(cardId, to, { actor: SUPERVISOR, approvedBy })).toThrow(
          new DualControlRequiredError(from, to, why),
        );
      };
      refuse(undefined, 'no second approval was given');
      refuse({ id: SUPERVISOR.id, roles: ['supervisor'] }, 'the approver must be a different person from the actor');
      refuse({ id: 'clerk-9', roles: ['clerk', 'auditor'] }, 'the approver must hold one of the roles supervisor, admin');
      expect(lifecycle.get(cardId).state).toBe(from);
      expect(auditCount()).toBe(before);
      expect(lifecycle.changeState(cardId, to, { actor: SUPERVISOR, approvedBy: { id: 'admin-2', roles: ['admin'] } }).state).toBe(to);
    });
  }

  it('records the approver and reason code of a dual-control transition in the audit log', () => {
    const cardId = cardIn('active');
    lifecycle.revoke(cardId, { actor: SUPERVISOR, approvedBy: SECOND_SUPERVISOR, reason: 'fraud' });
    expect(audit.forSubject(cardId).at(-1)).toMatchObject({
      actor: 'sup-1',
      action: 'card.revoked',
      details: `{"approvedBy":"sup-2","cardholderId":"${lifecycle.get(cardId).cardholderId}","from":"active","reason":"fraud","to":"revoked"}`,
    });
    expect(verifyAuditChain(db).ok).toBe(true);
  });
});

describe('loss report, found, replacement', () => {
  it('blocks on loss and unblocks when found, with reason codes', () => {
    const cardId = cardIn('active');
    expect(lifecycle.reportLoss(cardId, { actor: CLERK }).state).toBe('blocked');
    expect(lifecycle.reportFound(cardId, { actor: CLERK }).state).toBe('active');
    expect(audit.forSubject(cardId).slice(-2).map((e) => [e.action, JSON.parse(e.details).reason])).toEqual([
      ['card.blocked', 'lost'],
      ['card.unblocked', 'found'],
    ]);
  });

  it('reissue after loss: links a new applied card and schedules the balance transfer for now + 3 days', () => {
    const oldId = cardIn('blocked');
    const cardholderId = lifecycle.get(oldId).cardholderId;
    expect(() => lifecycle.replace(oldId, { actor: CLERK })).toThrow(DualControlRequiredError);
    const before = auditCount();
    const r = lifecycle.replace(oldId, { actor: CLERK, approvedBy: SECOND_SUPERVISOR, reason: 'lost' });
    expect(r.oldCard).toMatchObject({ id: oldId, state: 'replaced' });
    expect(r.newCard).toEqual({
      id: r.newCard.id,
      cardholderId,
      state: 'applied',
      replacesCardId: oldId,
      createdAt: FIXED_NOW.toISOString(),
      updatedAt: FIXED_NOW.toISOString(),
    });
    expect(r.transfer).toEqual({
      id: r.transfer.id,
      fromCardId: oldId,
      toCardId: r.newCard.id,
      dueAt: THREE_DAYS_LATER,
      status: 'scheduled',
      createdAt: FIXED_NOW.toISOString(),
    });
    expect(lifecycle.balanceTransferFrom(oldId)).toEqual(r.transfer);
    expect(lifecycle.balanceTransfersDue(new Date('2026-03-04T07:59:59.999Z'))).toEqual([]);
    expect(lifecycle.balanceTransfersDue(new Date(THREE_DAYS_LATER))).toEqual([r.transfer]);
    expect(lifecycle.cardsOf(cardholderId).map((c) => [c.id, c.state])).toEqual([
      [oldId, 'replaced'],
      [r.newCard.id, 'applied'],
    ]);
    const entries = db
      .prepare<[number], { action: string; subject: string }>('SELECT action, subject FROM audit_log WHERE seq > ? ORDER BY seq')
      .all(before);
    expect(entries).toEqual([
      { action: 'card.replaced', subject: oldId },
      { action: 'card.applied', subject: r.newCard.id },
      { action: 'card.balance-transfer-scheduled', subject: r.transfer.id },
    ]);
    // The successor goes through the normal lifecycle.
    for (const to of PATH_TO.active) lifecycle.changeState(r.newCard.id, to, { actor: OMNI });
    expect(lifecycle.get(r.newCard.id).state).toBe('active');
    expect(verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('replaces a handed-in active card without dual control, using the configured window', () => {
    const hourly = new CardLifecycle(db, audit, { clock: () => FIXED_NOW, newId, balanceTransferWindowMs: 3_600_000 });
    const r = hourly.replace(cardIn('active'), { actor: CLERK, reason: 'damaged' });
    expect(r.transfer.dueAt).toBe('2026-03-01T09:00:00.000Z');
    expect(() => new CardLifecycle(db, audit, { balanceTransferWindowMs: -1 })).toThrow(RangeError);
    expect(() => new CardLifecycle(db, audit, { balanceTransferWindowMs: 91 * 86_400_000 })).toThrow(RangeError);
    expect(() => new CardLifecycle(db, audit, { balanceTransferWindowMs: 1.5 })).toThrow(RangeError);
  });

  it('refuses to replace a card twice and leaves no second successor', () => {
    const oldId = cardIn('active');
    lifecycle.replace(oldId, { actor: CLERK });
    expect(() => lifecycle.replace(oldId, { actor: OMNI, approvedBy: SECOND_SUPERVISOR })).toThrow(InvalidTransitionError);
    expect(lifecycle.cardsOf(lifecycle.get(oldId).cardholderId)).toHaveLength(2);
  });
});

describe('applications and atomicity', () => {
  it('allows one live card per cardholder and only for registered cardholders', () => {
    const cardId = cardIn('active');
    const cardholderId = lifecycle.get(cardId).cardholderId;
    expect(() => lifecycle.applyForCard(cardholderId, CLERK)).toThrow(new CardholderHasLiveCardError(cardholderId, cardId));
    expect(() => lifecycle.applyForCard('nobody', CLERK)).toThrow(CardholderNotFoundError);
    expect(() => lifecycle.applyForCard(enroll(), { id: 'aud-1', roles: ['auditor'] })).toThrow(TransitionNotPermittedError);
    lifecycle.expire(cardId, { actor: { id: 'scheduler', roles: ['system'] } });
    expect(lifecycle.applyForCard(cardholderId, CLERK).state).toBe('applied');
    expect(() => lifecycle.get('no-card')).toThrow(CardNotFoundError);
    expect(() => lifecycle.activate('no-card', { actor: OMNI })).toThrow(CardNotFoundError);
  });

  it('rolls the state change back when the audit entry cannot be written', () => {
    const cardId = cardIn('active');
    const failing = new CardLifecycle(db, { record: () => { throw new Error('audit disk full'); } }, { clock: () => FIXED_NOW, newId });
    expect(() => failing.reportLoss(cardId, { actor: CLERK })).toThrow('audit disk full');
    expect(lifecycle.get(cardId).state).toBe('active');
    expect(() => failing.replace(cardId, { actor: CLERK })).toThrow('audit disk full');
    expect(lifecycle.cardsOf(lifecycle.get(cardId).cardholderId)).toHaveLength(1);
    expect(lifecycle.balanceTransferFrom(cardId)).toBeUndefined();
  });
});

describe('route inputs', () => {
  it('accepts only a known reason code in a transition body', () => {
    expect(transitionBodySchema.parse({ reason: 'stolen' })).toEqual({ reason: 'stolen' });
    expect(transitionBodySchema.parse({})).toEqual({});
    expect(transitionBodySchema.safeParse({ reason: "lost'; DROP TABLE cards;--" }).success).toBe(false);
    expect(transitionBodySchema.safeParse({ reason: 'lost', note: 'free text' }).success).toBe(false);
  });

  it('maps a signed-in staff member to a lifecycle actor', () => {
    expect(actorFromStaff({ id: 'staff-3', role: 'supervisor' })).toEqual({ id: 'staff-3', roles: ['supervisor'] });
  });
});
