import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HotlistRepository } from '../../backend/src/data/hotlistRepository.js';
import { verifyAuditChain } from '../../backend/src/domain/audit/verifyAuditChain.js';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { type Account, type Kit, citizenId, startKit, tableCounts } from './cardRoutesTestKit.js';

const NO_ID = '00000000-0000-4000-8000-000000000000';
const CARD_NUMBER = '1000000000000001';
const SECOND_CARD_NUMBER = '1000000000000002';
const DESK: readonly Role[] = ['clerk', 'supervisor', 'admin'];

/** Every card route and the roles admitted. */
const MATRIX: { method: string; path: string; allowed: readonly Role[] }[] = [
  { method: 'POST', path: '/api/v1/cardholders/:id/cards', allowed: DESK },
  { method: 'GET', path: '/api/v1/cardholders/:id/cards', allowed: ROLES },
  { method: 'GET', path: '/api/v1/cards/:id', allowed: ROLES },
  { method: 'POST', path: '/api/v1/cards/:id/approve', allowed: ['supervisor', 'admin'] },
  { method: 'POST', path: '/api/v1/cards/:id/personalized', allowed: DESK },
  { method: 'POST', path: '/api/v1/cards/:id/issue', allowed: DESK },
  { method: 'POST', path: '/api/v1/cards/:id/activate', allowed: DESK },
  { method: 'POST', path: '/api/v1/cards/:id/loss-report', allowed: DESK },
  { method: 'POST', path: '/api/v1/cards/:id/found', allowed: DESK },
  { method: 'POST', path: '/api/v1/cards/:id/expire', allowed: ['admin'] },
  { method: 'POST', path: '/api/v1/cards/:id/replace', allowed: DESK },
  { method: 'POST', path: '/api/v1/cards/:id/revoke', allowed: ['supervisor', 'admin'] },
];

let kit: Kit;
const version = (): number => new HotlistRepository(kit.db).currentVersion();

async function enroll(birth: string, name: string): Promise<string> {
  const res = await kit.call('POST', '/api/v1/cardholders', 'clerk1', {
    kind: 'resident', fullName: name, citizenId: citizenId(birth), birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6)}`, address: 'Main Street 1',
  });
  expect(res.status).toBe(201);
  return res.json.id;
}

/** A card taken from application to active, with the given number. */
async function activeCard(holder: string, cardNumber: string): Promise<string> {
  const id = (await kit.call('POST', `/api/v1/cardholders/${holder}/cards`, 'clerk1')).json.id;
  const steps: [string, Account, unknown][] = [
    ['approve', 'supervisor1', undefined], ['personalized', 'clerk1', { cardNumber }], ['issue', 'clerk1', {}], ['activate', 'clerk1', undefined],
  ];
  for (const [action, who, body] of steps) expect((await kit.call('POST', `/api/v1/cards/${id}/${action}`, who, body)).status).toBe(200);
  return id;
}

beforeAll(async () => {
  kit = await startKit();
});
afterAll(() => kit.close());

describe('card routes: route x role matrix', () => {
  it('covers every card route of the registry', () => {
    const registered = kit.built.registry
      .routes()
      .map((r) => `${r.method.toUpperCase()} ${r.path}`)
      .filter((r) => /^\S+ \/api\/v1\/(cards\/:id(\/[a-z-]+)?|cardholders\/:id\/cards)$/.test(r));
    expect(MATRIX.map((r) => `${r.method} ${r.path}`).sort()).toEqual(registered.sort());
  });

  for (const route of MATRIX) {
    const path = route.path.replace(':id', NO_ID);
    it(`${route.method} ${route.path} without a session -> 401`, async () => {
      const res = await kit.call(route.method, path, undefined, route.method === 'GET' ? undefined : { invalid: true });
      expect([res.status, res.json.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    });
    for (const role of ROLES) {
      const allowed = route.allowed.includes(role);
      it(`${route.method} ${route.path} as ${role} -> ${allowed ? 'allowed' : '403'}`, async () => {
        const before = tableCounts(kit.db);
        const res = await kit.call(route.method, path, `${role}1`, route.method === 'GET' ? undefined : { invalid: true });
        if (allowed) expect(res.json?.error?.code).not.toBe('FORBIDDEN');
        else expect([res.status, res.json.error.code]).toEqual([403, 'FORBIDDEN']);
        expect(res.status).not.toBe(401);
        expect(tableCounts(kit.db)).toEqual(before);
      });
    }
  }
});

describe('card routes: the whole story over HTTP', () => {
  let holder: string;
  let card: string;

  it('enrolls (unicode name), applies, approves, personalizes with a number, issues, activates', async () => {
    holder = await enroll('19900307', 'Zoë Ångström-Łukasz');
    const applied = await kit.call('POST', `/api/v1/cardholders/${holder}/cards`, 'clerk1');
    expect([applied.status, applied.json.state, applied.json.cardNumber]).toEqual([201, 'applied', null]);
    card = applied.json.id;
    const clerkApprove = await kit.call('POST', `/api/v1/cards/${card}/approve`, 'clerk1');
    expect([clerkApprove.status, clerkApprove.json.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await kit.call('POST', `/api/v1/cards/${card}/approve`, 'supervisor1')).json.state).toBe('approved');
    const early = await kit.call('POST', `/api/v1/cards/${card}/activate`, 'clerk1');
    expect([early.status, early.json.error.code, early.json.error.message]).toEqual([
      409, 'INVALID_TRANSITION', 'card cannot go from approved to active: from approved a card can only become personalized',
    ]);
    const personalized = await kit.call('POST', `/api/v1/cards/${card}/personalized`, 'clerk1', { cardNumber: CARD_NUMBER });
    expect([personalized.json.state, personalized.json.cardNumber]).toEqual(['personalized', CARD_NUMBER]);
    expect((await kit.call('POST', `/api/v1/cards/${card}/issue`, 'clerk1', {})).json.state).toBe('issued');
    expect((await kit.call('POST', `/api/v1/cards/${card}/activate`, 'clerk1')).json.state).toBe('active');
    expect((await kit.call('GET', `/api/v1/cards/${card}`, 'auditor1')).json).toMatchObject({ state: 'active', cardNumber: CARD_NUMBER, cardholderId: holder });
    expect((await kit.call('GET', `/api/v1/cardholders/${holder}/cards`, 'auditor1')).json.cards.map((c: { id: string }) => c.id)).toEqual([card]);
  });

  it('refuses a second live card for the same cardholder', async () => {
    const res = await kit.call('POST', `/api/v1/cardholders/${holder}/cards`, 'clerk1');
    expect([res.status, res.json.error.code]).toEqual([409, 'CARDHOLDER_HAS_LIVE_CARD']);
  });

  it('a loss report blocks the card, lists it and pushes the change', async () => {
    const v = version();
    const pushed = kit.pushes.length;
    const res = await kit.call('POST', `/api/v1/cards/${card}/loss-report`, 'clerk1', { reason: 'lost' });
    expect(res.json.state).toBe('blocked');
    expect(version()).toBe(v + 1);
    expect(kit.built.context.hotlist.isListed(CARD_NUMBER)).toBe(true);
    expect(kit.pushes.length).toBe(pushed + 1);
  });

  it('found takes the card off the list', async () => {
    const v = version();
    expect((await kit.call('POST', `/api/v1/cards/${card}/found`, 'clerk1')).json.state).toBe('active');
    expect(version()).toBe(v + 1);
    expect(kit.built.context.hotlist.isListed(CARD_NUMBER)).toBe(false);
  });

  it('revocation needs two people: clerks may not ask, nobody approves their own request', async () => {
    expect((await kit.call('POST', `/api/v1/cards/${card}/revoke`, 'clerk1', { reason: 'fraud' })).status).toBe(403);
    const asked = await kit.call('POST', `/api/v1/cards/${card}/revoke`, 'supervisor1', { reason: 'fraud' });
    expect([asked.status, asked.json.approval.kind, asked.json.approval.status]).toEqual([202, 'card.revoke', 'pending']);
    const approvalId = asked.json.approval.id;
    expect((await kit.call('GET', `/api/v1/cards/${card}`, 'clerk1')).json.state).toBe('active');
    const self = await kit.call('POST', `/api/v1/approvals/${approvalId}/approve`, 'supervisor1');
    expect(self.status).toBe(403);
    expect((await kit.call('GET', `/api/v1/cards/${card}`, 'clerk1')).json.state).toBe('active');
    const v = version();
    const approved = await kit.call('POST', `/api/v1/approvals/${approvalId}/approve`, 'supervisor2');
    expect([approved.status, approved.json.approval.status, approved.json.result.state]).toEqual([200, 'approved', 'revoked']);
    expect(version()).toBe(v + 1);
    expect(kit.built.context.hotlist.isListed(CARD_NUMBER)).toBe(true);
    const again = await kit.call('POST', `/api/v1/cards/${card}/revoke`, 'supervisor1', { reason: 'fraud' });
    expect([again.status, again.json.error.message]).toEqual([409, 'card cannot go from revoked to revoked: a revoked card is final and never changes state']);
  });

  it('the audit chain verifies and holds every transition', () => {
    const report = verifyAuditChain(kit.db);
    expect(report.ok).toBe(true);
    const actions = (kit.db.prepare('SELECT action FROM audit_log WHERE subject = ? ORDER BY seq').all(card) as { action: string }[]).map((r) => r.action);
    expect(actions).toEqual([
      'card.applied', 'card.approved', 'card.personalized', 'card.number-assigned', 'card.issued', 'card.activated', 'card.blocked', 'card.unblocked', 'card.revoked',
    ]);
  });
});

describe('card routes: replacement', () => {
  it('a handed-in card is replaced at once; the old card is listed as replaced', async () => {
    const holder = await enroll('19851111', 'Ólafur Þór');
    const old = await activeCard(holder, SECOND_CARD_NUMBER);
    const res = await kit.call('POST', `/api/v1/cards/${old}/replace`, 'clerk1', { reason: 'damaged' });
    expect(res.json.approval).toBe(null);
    expect([res.json.replacement.oldCard.state, res.json.replacement.newCard.state, res.json.replacement.newCard.replacesCardId]).toEqual(['replaced', 'applied', old]);
    expect(res.json.replacement.transfer.dueAt).toBe('2026-11-26T12:00:00.000Z');
    expect(kit.built.context.hotlist.isListed(SECOND_CARD_NUMBER)).toBe(true);
  });

  it('a lost card is reissued only after a second person approves; it stays listed', async () => {
    const holder = await enroll('19700101', 'Nguyễn Văn An');
    const old = await activeCard(holder, '1000000000000003');
    await kit.call('POST', `/api/v1/cards/${old}/loss-report`, 'clerk1', { reason: 'stolen' });
    const v = version();
    const asked = await kit.call('POST', `/api/v1/cards/${old}/replace`, 'clerk1', { reason: 'stolen' });
    expect([asked.status, asked.json.replacement, asked.json.approval.kind]).toEqual([200, null, 'card.reissue']);
    expect((await kit.call('GET', `/api/v1/cards/${old}`, 'clerk1')).json.state).toBe('blocked');
    const approved = await kit.call('POST', `/api/v1/approvals/${asked.json.approval.id}/approve`, 'admin1');
    expect([approved.json.result.oldCard.state, approved.json.result.newCard.state]).toEqual(['replaced', 'applied']);
    expect(version()).toBe(v);
    expect(kit.built.context.hotlist.isListed('1000000000000003')).toBe(true);
  });

  it('refuses a card number another card holds', async () => {
    const holder = await enroll('19600606', 'Anna');
    const id = (await kit.call('POST', `/api/v1/cardholders/${holder}/cards`, 'clerk1')).json.id;
    await kit.call('POST', `/api/v1/cards/${id}/approve`, 'admin1');
    const before = tableCounts(kit.db);
    const res = await kit.call('POST', `/api/v1/cards/${id}/personalized`, 'clerk1', { cardNumber: CARD_NUMBER });
    expect([res.status, res.json.error.code]).toEqual([409, 'CARD_NUMBER_TAKEN']);
    expect((await kit.call('GET', `/api/v1/cards/${id}`, 'clerk1')).json.state).toBe('approved');
    expect(tableCounts(kit.db)).toEqual(before);
  });
});

describe('card routes: hostile input gets a 4xx with a reason and changes nothing', () => {
  const HOSTILE: [string, unknown][] = [
    ['/api/v1/cards/:id/personalized', { cardNumber: "1' OR '1'='1" }],
    ['/api/v1/cards/:id/personalized', { cardNumber: 1000000000000004 }],
    ['/api/v1/cards/:id/personalized', { cardNumber: '1000000000000004', extra: true }],
    ['/api/v1/cards/:id/loss-report', { reason: 'the holder is a <script>' }],
    ['/api/v1/cards/:id/loss-report', { reason: 'x'.repeat(70_000) }],
    ['/api/v1/cards/:id/replace', {}],
    ['/api/v1/cards/:id/revoke', { reason: ['fraud'] }],
    ['/api/v1/cards/%27%3B%20DROP%20TABLE%20cards%3B--/activate', {}],
    ['/api/v1/cards/:id/activate', '{"reason":'],
  ];
  for (const [path, body] of HOSTILE) {
    it(`POST ${path} ${JSON.stringify(body).slice(0, 60)}`, async () => {
      const first = kit.db.prepare('SELECT id FROM cards ORDER BY created_at, id LIMIT 1').get() as { id: string };
      const before = tableCounts(kit.db);
      const res = await kit.call('POST', path.replace(':id', first.id), 'admin1', body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(typeof res.json.error.message).toBe('string');
      expect(tableCounts(kit.db)).toEqual(before);
    });
  }
});
