import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { type Kit, citizenId, startKit, tableCounts } from './cardRoutesTestKit.js';

const NO_ID = '00000000-0000-4000-8000-000000000000';
const UYGUR_NAME = '阿依古丽·买买提';
const RESIDENT = {
  kind: 'resident',
  fullName: UYGUR_NAME,
  citizenId: citizenId('19900307'),
  birthDate: '1990-03-07',
  phone: '+86 991 555 0101',
  address: '新华北路 12号, Ürümqi',
  household: { householdId: 'HH-0001', relation: 'head' },
};

/** Every cardholder route and the roles admitted. */
const MATRIX: { method: string; path: string; allowed: readonly Role[] }[] = [
  { method: 'POST', path: '/api/v1/cardholders', allowed: ['clerk', 'supervisor', 'admin'] },
  { method: 'GET', path: '/api/v1/cardholders', allowed: ROLES },
  { method: 'GET', path: '/api/v1/cardholders/:id', allowed: ROLES },
  { method: 'PATCH', path: '/api/v1/cardholders/:id/contact', allowed: ['clerk', 'supervisor', 'admin'] },
  { method: 'GET', path: '/api/v1/cardholders/:id/access-log', allowed: ['supervisor', 'auditor', 'admin'] },
];

let kit: Kit;
beforeAll(async () => {
  kit = await startKit();
});
afterAll(() => kit.close());

describe('cardholder routes: route x role matrix', () => {
  it('covers every cardholder route of the registry', () => {
    const registered = kit.built.registry
      .routes()
      .map((r) => `${r.method.toUpperCase()} ${r.path}`)
      .filter((r) => /^\S+ \/api\/v1\/cardholders(\/:id(\/contact|\/access-log)?)?$/.test(r));
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
        // Invalid input, so an admitted call is refused by validation and changes nothing.
        const res = await kit.call(route.method, path, `${role}1`, route.method === 'GET' ? undefined : { invalid: true });
        if (allowed) expect([400, 404]).toContain(res.status);
        else expect([res.status, res.json.error.code]).toEqual([403, 'FORBIDDEN']);
        expect(tableCounts(kit.db)).toEqual(before);
      });
    }
  }
});

describe('cardholder routes: enrollment, reads with a purpose, the access log', () => {
  let id: string;

  it('enrolls a resident with a unicode name, stored exactly as given', async () => {
    const res = await kit.call('POST', '/api/v1/cardholders', 'clerk1', RESIDENT);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ kind: 'resident', fullName: UYGUR_NAME, citizenId: RESIDENT.citizenId, address: RESIDENT.address });
    id = res.json.id;
  });

  it('refuses the same citizen ID twice with 409 and changes nothing', async () => {
    const before = tableCounts(kit.db);
    const res = await kit.call('POST', '/api/v1/cardholders', 'clerk1', { ...RESIDENT, household: undefined });
    expect([res.status, res.json.error.code]).toEqual([409, 'CARDHOLDER_EXISTS']);
    expect(tableCounts(kit.db)).toEqual(before);
  });

  it('refuses a birth date that differs from the citizen ID, naming the field but not the value', async () => {
    const res = await kit.call('POST', '/api/v1/cardholders', 'clerk1', { ...RESIDENT, citizenId: citizenId('19900308'), birthDate: '1990-03-09' });
    expect(res.status).toBe(400);
    expect(res.json.error.details.issues).toEqual([{ path: 'body.birthDate', message: 'does not match the birth date in the citizen ID' }]);
    expect(JSON.stringify(res.json)).not.toContain('1990-03-09');
  });

  it('refuses a read without a purpose or with an unknown one, and logs nothing', async () => {
    const before = tableCounts(kit.db);
    expect((await kit.call('GET', `/api/v1/cardholders/${id}`, 'clerk1')).json.error.details.issues[0].path).toBe('query.purpose');
    expect((await kit.call('GET', `/api/v1/cardholders/${id}?purpose=curiosity`, 'clerk1')).status).toBe(400);
    expect((await kit.call('GET', `/api/v1/cardholders/${id}?purpose=audit&purpose=service`, 'clerk1')).status).toBe(400);
    expect(tableCounts(kit.db)).toEqual(before);
  });

  it('answers 404 for an unknown cardholder and logs nothing', async () => {
    const before = tableCounts(kit.db);
    const res = await kit.call('GET', `/api/v1/cardholders/${NO_ID}?purpose=service`, 'clerk1');
    expect([res.status, res.json.error.code]).toEqual([404, 'CARDHOLDER_NOT_FOUND']);
    expect(tableCounts(kit.db)).toEqual(before);
  });

  it('reads, searches and lists each read in the access log with who, when and why', async () => {
    expect((await kit.call('GET', `/api/v1/cardholders/${id}?purpose=issuance`, 'clerk1')).json.fullName).toBe(UYGUR_NAME);
    expect((await kit.call('GET', `/api/v1/cardholders/${id}?purpose=audit`, 'auditor1')).status).toBe(200);
    const byName = await kit.call('GET', `/api/v1/cardholders?name=${encodeURIComponent('阿依')}&purpose=service`, 'supervisor1');
    expect(byName.json.cardholders.map((c: { id: string }) => c.id)).toEqual([id]);
    const byHousehold = await kit.call('GET', '/api/v1/cardholders?household=HH-0001&purpose=correction', 'admin1');
    expect(byHousehold.json.cardholders).toHaveLength(1);
    const log = await kit.call('GET', `/api/v1/cardholders/${id}/access-log`, 'auditor1');
    expect(log.status).toBe(200);
    expect(log.json.entries.map((e: { accessor: string; purpose: string; at: string }) => [e.accessor, e.purpose, e.at])).toEqual([
      [kit.staffIds.get('clerk1'), 'issuance', '2026-11-23T12:00:00.000Z'],
      [kit.staffIds.get('auditor1'), 'audit', '2026-11-23T12:00:00.000Z'],
      [kit.staffIds.get('supervisor1'), 'service', '2026-11-23T12:00:00.000Z'],
      [kit.staffIds.get('admin1'), 'correction', '2026-11-23T12:00:00.000Z'],
    ]);
  });

  it('changes contact data (phone null removes it) and refuses an empty change', async () => {
    expect((await kit.call('PATCH', `/api/v1/cardholders/${id}/contact`, 'clerk1', { phone: null, address: '解放路 3号' })).status).toBe(204);
    const read = await kit.call('GET', `/api/v1/cardholders/${id}?purpose=correction`, 'clerk1');
    expect([read.json.phone, read.json.address]).toEqual([null, '解放路 3号']);
    expect((await kit.call('PATCH', `/api/v1/cardholders/${id}/contact`, 'clerk1', {})).status).toBe(400);
  });
});

describe('cardholder routes: hostile input gets a 4xx with a reason and changes nothing', () => {
  const HOSTILE: [string, string, unknown][] = [
    ['POST', '/api/v1/cardholders', { ...RESIDENT, citizenId: citizenId('19851111', '456'), birthDate: '1985-11-11', fullName: "Robert'); DROP TABLE cardholders;--" }],
    ['POST', '/api/v1/cardholders', { ...RESIDENT, fullName: 'x'.repeat(101) }],
    ['POST', '/api/v1/cardholders', { ...RESIDENT, fullName: 42 }],
    ['POST', '/api/v1/cardholders', { ...RESIDENT, isAdmin: true }],
    ['POST', '/api/v1/cardholders', [RESIDENT]],
    ['POST', '/api/v1/cardholders', { ...RESIDENT, address: 'a'.repeat(70_000) }],
    ['POST', '/api/v1/cardholders', '{"kind": "resident", '],
    ['PATCH', `/api/v1/cardholders/${NO_ID}/contact`, { address: 'x\u0000y' }],
    ['GET', `/api/v1/cardholders/${encodeURIComponent("1' OR '1'='1")}?purpose=service`, undefined],
    ['GET', `/api/v1/cardholders?citizenId=${'9'.repeat(40)}&purpose=service`, undefined],
    ['GET', '/api/v1/cardholders?purpose=service', undefined],
    ['GET', '/api/v1/cardholders?name=a&purpose=service&limit=100000', undefined],
  ];
  for (const [method, path, body] of HOSTILE) {
    it(`${method} ${path.slice(0, 60)} ${JSON.stringify(body)?.slice(0, 60) ?? ''}`, async () => {
      const before = tableCounts(kit.db);
      const res = await kit.call(method, path, 'clerk1', body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(typeof res.json.error.message).toBe('string');
      expect(tableCounts(kit.db)).toEqual(before);
    });
  }

  it('treats SQL metacharacters in a search as plain text: no match, the table intact', async () => {
    const before = tableCounts(kit.db);
    const res = await kit.call('GET', `/api/v1/cardholders?name=${encodeURIComponent("%' OR 1=1 --")}&purpose=service`, 'clerk1');
    expect([res.status, res.json.cardholders]).toEqual([200, []]);
    expect(tableCounts(kit.db)).toEqual(before);
  });
});
