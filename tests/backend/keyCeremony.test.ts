/**
 * The hotlist signing-key ceremony under dual control, over HTTP: a supervisor asks, the same
 * person cannot approve, a second supervisor approves; then the new key signs fetched updates
 * and pushed deltas, GET /api/v1/hotlist/public-key serves it, the key file holds it across a
 * restart, and the rotation is in the hash-chained audit log. Also who may ask, and what a
 * rejected request or a failing audit leaves behind (the old key).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EMPTY_HOTLIST, applySignedHotlist, ed25519PublicKeyFromRaw, ed25519PublicKeyToRaw, fromHex, toHex } from '@citycard/protocols';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendApp, createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { HOTLIST_SIGNING_KEY_FILE, KeyRotationStateError, SigningKeyHolder, loadOrCreateSigningKey } from '../../backend/src/data/hotlistSigningKey.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { HOTLIST_KEY_ROTATE, keyFingerprint, rotateHotlistSigningKey } from '../../backend/src/domain/approvals/hotlistKeyCeremony.js';
import type { ApprovalView } from '../../backend/src/domain/approvals/approvals.js';
import { type AuditEntry, MemoryAuditSink } from '../../backend/src/domain/audit/auditSink.js';
import { verifyAuditChain } from '../../backend/src/domain/audit/index.js';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';
import { TEST_PUBLIC_KEY, TEST_PUBLIC_KEY_RAW, TEST_SIGNING_KEY } from './hotlistTestKit.js';

const PASSWORD = 'key ceremony passphrase';
const TERMINAL = '400000000001';
const ROTATIONS = '/api/v1/hotlist/signing-key/rotations';
const LISTED_CARD = '1000000000000031';
const AT = '2026-11-23T12:00:00.000Z';
/** SHA-256 of the raw test public key (seed 00 01 … 1F): its fingerprint. */
const TEST_KEY_FINGERPRINT = keyFingerprint(TEST_PUBLIC_KEY);

let dir: string;
let db: Db;
let built: BackendApp;
let server: RunningServer;
let credential: string;
const tokens = new Map<string, string>();
const ids = new Map<string, string>();
const pushed: Buffer[] = [];

async function call(method: string, route: string, token?: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(server.url + route, {
    method,
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

const as = (username: string): string => tokens.get(username)!;
const servedKey = async (): Promise<string> => (await call('GET', '/api/v1/hotlist/public-key')).json.publicKey as string;

async function fetchUpdate(since: number): Promise<Buffer> {
  const res = await fetch(`${server.url}/api/v1/hotlist?since=${since}`, { headers: { authorization: `Bearer ${credential}` } });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

function auditEntries(action: string): { actor: string; subject: string | null; details: any }[] {
  return db
    .prepare<[string], { actor: string; subject: string | null; details: string }>('SELECT actor, subject, details FROM audit_log WHERE action = ? ORDER BY seq')
    .all(action)
    .map((r) => ({ ...r, details: JSON.parse(r.details) }));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-key-ceremony-'));
  db = openDatabase(dir);
  migrate(db);
  built = createApp({
    config: loadConfig({}, { dataDir: dir, redisUrl: '' }),
    db,
    hotlistPublisher: { publish: async (signed) => void pushed.push(signed) },
  });
  const staff: [string, Role][] = [['clerk1', 'clerk'], ['sup1', 'supervisor'], ['sup2', 'supervisor'], ['aud1', 'auditor'], ['adm1', 'admin']];
  for (const [username, role] of staff) {
    const { staff: created, oneTimePassword } = await built.context.staff.create({ username, displayName: username, role }, 'system');
    await built.context.staff.changePassword(created, oneTimePassword, PASSWORD);
    tokens.set(username, (await built.context.sessions.login(username, PASSWORD, '127.0.0.1')).token);
    ids.set(username, created.id);
  }
  const { terminals } = built.context.terminalServices;
  const merchant = terminals.registerMerchant({ name: 'Metro', category: 'transit' }, 'test');
  credential = terminals.registerTerminal({ terminalNumber: TERMINAL, merchantId: merchant.id, mode: 'gate', location: 'Gate 7' }, 'test').credential;
  server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
});

afterAll(async () => {
  await built.context.terminalServices.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hotlist signing-key rotation under dual control', () => {
  let oldKey: string;
  let newKey: string;
  let approval: ApprovalView;

  it('starts with the key in the data directory', async () => {
    oldKey = await servedKey();
    expect(oldKey).toBe(toHex(ed25519PublicKeyToRaw(loadOrCreateSigningKey(dir, HOTLIST_SIGNING_KEY_FILE).publicKey)));
    applySignedHotlist(EMPTY_HOTLIST, await fetchUpdate(0), fromHex(oldKey));
  });

  it('is requested by a supervisor and answers 202 with a pending approval; nothing rotates yet', async () => {
    const res = await call('POST', ROTATIONS, as('sup1'), { reason: 'scheduled' });
    expect(res.status).toBe(202);
    approval = res.json.approval;
    expect(approval).toMatchObject({ kind: HOTLIST_KEY_ROTATE, payload: { reason: 'scheduled' }, status: 'pending', requestedBy: ids.get('sup1') });
    expect(await servedKey()).toBe(oldKey);
  });

  it('cannot be approved by its requester, nor by a clerk or an auditor', async () => {
    const self = await call('POST', `/api/v1/approvals/${approval.id}/approve`, as('sup1'));
    expect([self.status, self.json.error.code]).toEqual([403, 'APPROVAL_FORBIDDEN']);
    for (const who of ['clerk1', 'aud1']) {
      expect((await call('POST', `/api/v1/approvals/${approval.id}/approve`, as(who))).json.error.code).toBe('FORBIDDEN');
    }
    expect(await servedKey()).toBe(oldKey);
  });

  it('rotates when a second supervisor approves, answering the new public key and fingerprints', async () => {
    const res = await call('POST', `/api/v1/approvals/${approval.id}/approve`, as('sup2'));
    expect(res.status).toBe(200);
    expect(res.json.approval).toMatchObject({ status: 'approved', decidedBy: ids.get('sup2') });
    newKey = res.json.result.publicKey;
    expect(newKey).toMatch(/^[0-9A-F]{64}$/);
    expect(newKey).not.toBe(oldKey);
    expect(res.json.result).toMatchObject({
      fingerprint: keyFingerprint(ed25519PublicKeyFromRaw(fromHex(newKey))),
      previousFingerprint: keyFingerprint(ed25519PublicKeyFromRaw(fromHex(oldKey))),
    });
  });

  it('serves the new key to terminals, and signs fetched updates with it (the old key no longer verifies)', async () => {
    expect(await servedKey()).toBe(newKey);
    const update = await fetchUpdate(0);
    expect(applySignedHotlist(EMPTY_HOTLIST, update, fromHex(newKey)).version).toBe(0);
    expect(() => applySignedHotlist(EMPTY_HOTLIST, update, fromHex(oldKey))).toThrow();
  });

  it('signs new pushes with the new key', async () => {
    await built.context.hotlist.listCard(LISTED_CARD, 'lost');
    const delta = pushed.at(-1)!;
    expect(applySignedHotlist(EMPTY_HOTLIST, await fetchUpdate(0), fromHex(newKey)).cards.has(LISTED_CARD)).toBe(true);
    expect(() => applySignedHotlist(EMPTY_HOTLIST, delta, fromHex(oldKey))).toThrow();
    expect(applySignedHotlist(EMPTY_HOTLIST, delta, fromHex(newKey)).cards.has(LISTED_CARD)).toBe(true);
  });

  it('replaced the key file (no staged file left), so a restart keeps the new key', async () => {
    expect(toHex(ed25519PublicKeyToRaw(loadOrCreateSigningKey(dir, HOTLIST_SIGNING_KEY_FILE).publicKey))).toBe(newKey);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const restarted = createApp({ config: loadConfig({}, { dataDir: dir, redisUrl: '' }), db });
    expect(toHex(ed25519PublicKeyToRaw(restarted.context.hotlistPublicKey))).toBe(newKey);
  });

  it('is in the hash-chained audit log: asked by the requester, approved by the second person, by fingerprint', () => {
    const oldFingerprint = keyFingerprint(ed25519PublicKeyFromRaw(fromHex(oldKey)));
    const newFingerprint = keyFingerprint(ed25519PublicKeyFromRaw(fromHex(newKey)));
    expect(auditEntries(HOTLIST_KEY_ROTATE)).toEqual([{
      actor: ids.get('sup1'),
      subject: newFingerprint,
      details: { approvalId: approval.id, approvedBy: ids.get('sup2'), reason: 'scheduled', previousFingerprint: oldFingerprint, fingerprint: newFingerprint },
    }]);
    expect(auditEntries('approval.approve').at(-1)).toMatchObject({ actor: ids.get('sup2'), subject: approval.id });
    expect(verifyAuditChain(db)).toMatchObject({ ok: true });
  });

  it('leaves the key as it is when the request is rejected', async () => {
    const asked = await call('POST', ROTATIONS, as('adm1'), { reason: 'suspected-compromise' });
    expect(asked.status).toBe(202);
    expect((await call('POST', `/api/v1/approvals/${asked.json.approval.id}/reject`, as('sup1'), { reason: 'not now' })).status).toBe(200);
    expect((await call('POST', `/api/v1/approvals/${asked.json.approval.id}/approve`, as('sup2'))).status).toBe(409);
    expect(await servedKey()).toBe(newKey);
  });
});

describe('POST /api/v1/hotlist/signing-key/rotations: who may ask', () => {
  const allowed: readonly Role[] = ['supervisor', 'admin'];
  const byRole: Record<Role, string> = { clerk: 'clerk1', supervisor: 'sup1', auditor: 'aud1', admin: 'adm1' };
  for (const role of ROLES) {
    it(`${role} -> ${allowed.includes(role) ? 'admitted' : '403'}`, async () => {
      // An invalid reason: an admitted call is refused by validation and changes nothing.
      const res = await call('POST', ROTATIONS, as(byRole[role]), { reason: 'because' });
      if (allowed.includes(role)) expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      else expect([res.status, res.json.error.code]).toEqual([403, 'FORBIDDEN']);
    });
  }
  it('nobody, a forged token or a terminal -> 401', async () => {
    expect((await call('POST', ROTATIONS, undefined, { reason: 'scheduled' })).status).toBe(401);
    expect((await call('POST', ROTATIONS, 'A'.repeat(43), { reason: 'scheduled' })).status).toBe(401);
    expect((await call('POST', ROTATIONS, credential, { reason: 'scheduled' })).status).toBe(401);
  });
  it('a clerk cannot ask through the generic approvals route either', async () => {
    const res = await call('POST', '/api/v1/approvals', as('clerk1'), { kind: HOTLIST_KEY_ROTATE, payload: { reason: 'scheduled' } });
    expect([res.status, res.json.error.code]).toEqual([403, 'APPROVAL_FORBIDDEN']);
  });
  it('refuses unknown fields and reasons outside the codes', async () => {
    for (const body of [{ reason: 'scheduled', note: 'x' }, {}, { reason: 'Scheduled' }]) {
      expect((await call('POST', ROTATIONS, as('sup1'), body)).status).toBe(400);
    }
  });
});

describe('rotateHotlistSigningKey when something fails', () => {
  const approved = {
    approval: { id: 'appr-1', kind: HOTLIST_KEY_ROTATE, payload: { reason: 'scheduled' }, status: 'approved', requestedBy: 'id-a', requestedAt: AT, expiresAt: AT, decidedBy: 'id-b', decidedAt: AT, reason: null } as ApprovalView,
    approver: { id: 'id-b', username: 'b', role: 'supervisor' as const },
  };
  const clock = () => new Date(AT);

  it('keeps the old key and discards the staged file when the audit log refuses the entry', () => {
    const keyDir = mkdtempSync(path.join(os.tmpdir(), 'citycard-key-ceremony-audit-'));
    try {
      const holder = new SigningKeyHolder(loadOrCreateSigningKey(keyDir, HOTLIST_SIGNING_KEY_FILE), { dataDir: keyDir, fileName: HOTLIST_SIGNING_KEY_FILE });
      const before = toHex(ed25519PublicKeyToRaw(holder.current.publicKey));
      const audit = { record: () => { throw new Error('audit log unavailable'); } };
      expect(() => rotateHotlistSigningKey({ key: holder, audit, clock }, { reason: 'scheduled' }, approved)).toThrow('audit log unavailable');
      expect(toHex(ed25519PublicKeyToRaw(holder.current.publicKey))).toBe(before);
      expect(toHex(ed25519PublicKeyToRaw(loadOrCreateSigningKey(keyDir, HOTLIST_SIGNING_KEY_FILE).publicKey))).toBe(before);
      expect(readdirSync(keyDir)).toEqual([HOTLIST_SIGNING_KEY_FILE]);
    } finally {
      rmSync(keyDir, { recursive: true, force: true });
    }
  });

  it('audits a key that could not be stored as rotate-failed', () => {
    const audit = new MemoryAuditSink();
    const broken = {
      current: { publicKey: TEST_PUBLIC_KEY },
      prepareRotation: () => ({ publicKey: TEST_PUBLIC_KEY, commit: () => { throw new Error('ENOSPC'); }, abort: () => undefined }),
    };
    expect(() => rotateHotlistSigningKey({ key: broken, audit, clock }, { reason: 'custodian-change' }, approved)).toThrow('ENOSPC');
    expect(audit.entries.map((e: AuditEntry) => [e.action, e.actor, e.target])).toEqual([
      [HOTLIST_KEY_ROTATE, 'id-a', TEST_KEY_FINGERPRINT],
      [`${HOTLIST_KEY_ROTATE}-failed`, 'system', TEST_KEY_FINGERPRINT],
    ]);
  });

  it('a prepared rotation commits once; an in-memory holder switches without a file', () => {
    const holder = new SigningKeyHolder({ privateKey: TEST_SIGNING_KEY, publicKey: TEST_PUBLIC_KEY });
    const next = holder.prepareRotation();
    expect(Buffer.from(ed25519PublicKeyToRaw(holder.current.publicKey))).toEqual(Buffer.from(TEST_PUBLIC_KEY_RAW));
    next.commit();
    expect(holder.current.publicKey).toBe(next.publicKey);
    expect(() => next.commit()).toThrow(KeyRotationStateError);
    const aborted = holder.prepareRotation();
    aborted.abort();
    expect(() => aborted.commit()).toThrow(KeyRotationStateError);
    expect(holder.current.publicKey).toBe(next.publicKey);
  });
});
