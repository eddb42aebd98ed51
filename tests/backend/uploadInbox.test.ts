/**
 * The upload inbox over HTTP: upload key registration (proof of possession, freshness, audit),
 * signed batches (idempotent by batchId, duplicates across batches, conflict rows, any order),
 * the terminal-only role matrix, and refusals (bad signature, wrong terminal, hostile input)
 * that store nothing. Batches are signed with the terminal agent's own signing code, and the
 * docs/upload.md examples are exact fixtures of the backend's encoding. The backend runs with a
 * 1 MB body limit (the shared card-routes kit keeps the 64 KiB default, too small for 500 records).
 */
import { type KeyObject, createPrivateKey } from 'node:crypto';
import pino from 'pino';
import { fromHex } from '@citycard/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { UploadInboxRepository } from '../../backend/src/data/uploadInboxRepository.js';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { BATCH_CONTEXT, KEY_PROOF_CONTEXT, canonicalJson, signingDigest } from '../../backend/src/domain/uploads/index.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';
import type { PurchaseRecord } from '../../terminal-agent/src/purse/purseRecords.js';
import type { PurseRecord } from '../../terminal-agent/src/store/recordStore.js';
import { type SignedUploadBatch, signBatch, uploadKeyProof } from '../../terminal-agent/src/upload/batchSigning.js';

const KEY_PATH = '/api/v1/terminal/self/upload-key';
const BATCHES_PATH = '/api/v1/terminal/self/batches';

const TERMINAL_A = '000000000001';
const TERMINAL_B = '000000000002';
const TERMINAL_C = '000000000003';
const TERMINAL_D = '000000000004';

/** Ed25519 seed 00 01 … 1F (docs/upload.md), as PKCS#8 DER. */
const KEY_A = createPrivateKey({ key: fromHex('302E020100300506032B657004220420 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F'), format: 'der', type: 'pkcs8' });
const KEY_A_PUBLIC = '03A107BFF3CE10BE1D70DD18E74BC09967E4D6309BA50D5F1DDC8664125531B8';
/** Seeds 20 … 3F, 40 … 5F, 60 … 7F. */
const seedKey = (first: number): KeyObject =>
  createPrivateKey({ key: Buffer.concat([fromHex('302E020100300506032B657004220420'), Buffer.from(Array.from({ length: 32 }, (_, i) => first + i))]), format: 'der', type: 'pkcs8' });
const KEY_B = seedKey(0x20);
const KEY_C1 = seedKey(0x40);
const KEY_C2 = seedKey(0x60);

// docs/upload.md, "Upload key" example.
const DOC_PROOF = {
  publicKey: KEY_A_PUBLIC,
  issuedAt: '2026-11-23T09:00:00.000Z',
  signature: 'E7BD3414676D90243E2B8F7743C824DA775EA546B3F82A58E3965529B86CA884CF3D26246FDDBA68943FA8C8823D22EB270FDEAC9C0EB728FD5EE4B7DA8D6C01',
};
const DOC_PROOF_DIGEST = '2C82D0A94232291004B888112EA50BC27B2AE280DBE52D18193B47164C10A6BA';

// docs/upload.md, "Batches" example: the §8.2 purchase, trail shortened to its DEBIT exchange.
const DOC_RECORD: PurchaseRecord = {
  kind: 'purchase',
  cardNumber: '1000000000000001',
  amount: 250,
  terminal: TERMINAL_A,
  date: '20261123',
  time: '093000',
  balanceBefore: 10000,
  keyVersion: 1,
  algorithmId: 0,
  trail: [
    {
      seq: 0,
      slot: 'card',
      name: 'DEBIT FOR PURCHASE',
      at: '2026-11-23T09:30:00.000Z',
      command: '805401000F0000010220261123093000AE47C13308',
      response: 'A0F363C70DEF3FA39000',
    },
  ],
  offlineCounter: 5,
  ttsn: 258,
  mac2: '0DEF3FA3',
  tac: 'A0F363C7',
  mac2Verified: true,
  recovered: false,
};
const DOC_BATCH_ID = '6f1c2a9e-3b4d-4c5e-8f70-0123456789ab';
const DOC_CREATED_AT = '2026-11-23T09:35:00.000Z';
const DOC_CANONICAL =
  '{"batchId":"6f1c2a9e-3b4d-4c5e-8f70-0123456789ab","createdAt":"2026-11-23T09:35:00.000Z","records":[{"algorithmId":0,"amount":250,"balanceBefore":10000,"cardNumber":"1000000000000001","date":"20261123","keyVersion":1,"kind":"purchase","mac2":"0DEF3FA3","mac2Verified":true,"offlineCounter":5,"recovered":false,"tac":"A0F363C7","terminal":"000000000001","time":"093000","trail":[{"at":"2026-11-23T09:30:00.000Z","command":"805401000F0000010220261123093000AE47C13308","name":"DEBIT FOR PURCHASE","response":"A0F363C70DEF3FA39000","seq":0,"slot":"card"}],"ttsn":258}],"terminal":"000000000001"}';
const DOC_DIGEST = 'C8C54BFA6A69B440D9318C6B0D8AA05DC88DE8801346D5F0740EA61BE163A828';
const DOC_SIGNATURE =
  'F9C323A33D7FD88751A2C0B72CD42934427BFDE965BB143CBC61A4041DFFA841425BB09822FFDC6B5A368546496540A2438601D9A4E0777BD7C00EB048A4AB00';

const FIXED_NOW = new Date('2026-11-23T12:00:00.000Z');
const PASSWORD = 'upload inbox test passphrase';
/** 1 MB, the largest the backend allows: room for a 500-record batch. */
const BODY_LIMIT = 1_048_576;

interface Kit {
  server: RunningServer;
  db: Db;
  /** A session token per staff role. */
  tokens: Map<Role, string>;
  call: (method: string, path: string, token: string, body?: unknown) => Promise<{ status: number; json: any }>;
}

/** A backend on a random port over an in-memory database, a fixed clock and one signed-in account per role. */
async function startKit(): Promise<Kit> {
  const db = openDatabase(':memory:');
  migrate(db);
  const built = createApp({ config: loadConfig({}, { redisUrl: '', bodyLimitBytes: BODY_LIMIT }), db, clock: () => FIXED_NOW });
  const tokens = new Map<Role, string>();
  for (const role of ROLES) {
    const { staff, oneTimePassword } = await built.context.staff.create({ username: `${role}1`, displayName: role, role }, 'system');
    await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
    tokens.set(role, (await built.context.sessions.login(`${role}1`, PASSWORD, '127.0.0.1')).token);
  }
  const server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: any }> => {
    const res = await fetch(server.url + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  return { server, db, tokens, call };
}

let kit: Kit;
let admin: string;
const credentials = new Map<string, string>();
let batchSeq = 0;

/** A lower-case UUID unique within this file. */
const nextBatchId = (): string => `00000000-0000-4000-8000-${(++batchSeq).toString(16).padStart(12, '0')}`;

/** A schema-valid purchase of terminal A: card 1000000000000NNN, offline counter n, TTSN 5000 + n. */
function purchase(n: number, extra: Partial<PurchaseRecord> = {}): PurchaseRecord {
  return { ...DOC_RECORD, cardNumber: `1000000000${String(n).padStart(6, '0')}`, offlineCounter: n, ttsn: 5000 + n, ...extra };
}

function batchOf(records: readonly PurseRecord[], key: KeyObject = KEY_A, terminal = TERMINAL_A, batchId = nextBatchId()): SignedUploadBatch {
  return signBatch({ batchId, terminal, createdAt: FIXED_NOW.toISOString(), records }, key);
}

async function asTerminal(terminal: string | undefined, method: string, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const credential = terminal === undefined ? undefined : (credentials.get(terminal) ?? terminal);
  const res = await fetch(kit.server.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
}

const count = (table: string): number => (kit.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const counts = (): Record<string, number> => Object.fromEntries(['terminal_upload_keys', 'upload_batches', 'upload_inbox', 'audit_log'].map((t) => [t, count(t)]));

beforeAll(async () => {
  kit = await startKit();
  admin = kit.tokens.get('admin')!;
  const merchant = await kit.call('POST', '/api/v1/merchants', admin, { name: 'City Transit', category: 'transit' });
  for (const terminal of [TERMINAL_A, TERMINAL_B, TERMINAL_C, TERMINAL_D]) {
    const issued = await kit.call('POST', '/api/v1/terminals', admin, { terminalNumber: terminal, merchantId: merchant.json.id, mode: 'gate', location: `Gate ${terminal}` });
    credentials.set(terminal, issued.json.credential);
  }
  const at = new Date(FIXED_NOW.getTime() - 60_000);
  for (const [terminal, key] of [[TERMINAL_A, KEY_A], [TERMINAL_B, KEY_B]] as const) {
    const res = await asTerminal(terminal, 'PUT', KEY_PATH, uploadKeyProof(terminal, key, at));
    expect(res.status).toBe(200);
  }
});

afterAll(async () => {
  await kit.server.close();
});

describe('docs/upload.md examples', () => {
  it('the batch example: canonical JSON, digest and signature', () => {
    const signed = batchOf([DOC_RECORD], KEY_A, TERMINAL_A, DOC_BATCH_ID);
    const { signature, ...unsigned } = { ...signed, createdAt: DOC_CREATED_AT };
    expect(canonicalJson(unsigned)).toBe(DOC_CANONICAL);
    expect(signingDigest(BATCH_CONTEXT, unsigned).toString('hex').toUpperCase()).toBe(DOC_DIGEST);
    expect(signBatch({ ...unsigned }, KEY_A).signature).toBe(DOC_SIGNATURE);
    expect(signature).not.toBe(DOC_SIGNATURE); // createdAt differs: the signature covers it
  });

  it('the key proof example: digest and signature', () => {
    const digest = signingDigest(KEY_PROOF_CONTEXT, { terminal: TERMINAL_A, publicKey: DOC_PROOF.publicKey, issuedAt: DOC_PROOF.issuedAt });
    expect(digest.toString('hex').toUpperCase()).toBe(DOC_PROOF_DIGEST);
    expect(uploadKeyProof(TERMINAL_A, KEY_A, new Date(DOC_PROOF.issuedAt))).toEqual(DOC_PROOF);
  });

  it('canonical JSON refuses floats and non-JSON values', () => {
    expect(() => canonicalJson({ amount: 1.5 })).toThrow(TypeError);
    expect(() => canonicalJson({ at: new Date(0) })).toThrow(TypeError);
    expect(canonicalJson({ b: [1, null, 'x'], a: true, c: undefined })).toBe('{"a":true,"b":[1,null,"x"]}');
  });
});

describe('route x role matrix', () => {
  for (const [method, path] of [['PUT', KEY_PATH], ['POST', BATCHES_PATH]] as const) {
    it(`${method} ${path} unauthenticated -> 401`, async () => {
      expect((await asTerminal(undefined, method, path, { invalid: true })).status).toBe(401);
    });
    for (const role of ROLES) {
      it(`${method} ${path} as staff ${role} -> 401`, async () => {
        const res = await asTerminal(kit.tokens.get(role)!, method, path, { invalid: true });
        expect([res.status, res.json.error.code]).toEqual([401, 'UNAUTHENTICATED']);
      });
    }
    it(`${method} ${path} as a terminal -> admitted (400 for an invalid body)`, async () => {
      expect((await asTerminal(TERMINAL_A, method, path, { invalid: true })).status).toBe(400);
    });
  }

  it('a disabled terminal is refused', async () => {
    await kit.call('PATCH', `/api/v1/terminals/${TERMINAL_D}`, admin, { disabled: true });
    const before = counts();
    const res = await asTerminal(TERMINAL_D, 'PUT', KEY_PATH, uploadKeyProof(TERMINAL_D, seedKey(0x80), FIXED_NOW));
    expect(res.status).toBe(401);
    expect(counts()).toEqual(before);
    await kit.call('PATCH', `/api/v1/terminals/${TERMINAL_D}`, admin, { disabled: false });
  });
});

describe('upload key', () => {
  it('registers a key with a fresh proof and audits it with a fingerprint, never the key', async () => {
    const before = count('audit_log');
    const res = await asTerminal(TERMINAL_C, 'PUT', KEY_PATH, uploadKeyProof(TERMINAL_C, KEY_C1, new Date(FIXED_NOW.getTime() - 120_000)));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ terminal: TERMINAL_C, alg: 'Ed25519', changed: true, registeredAt: FIXED_NOW.toISOString() });
    const audit = kit.db.prepare('SELECT actor, action, subject, details FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Record<string, string>;
    expect(count('audit_log')).toBe(before + 1);
    expect(audit).toMatchObject({ actor: `terminal:${TERMINAL_C}`, action: 'terminal.upload-key.register', subject: TERMINAL_C });
    expect(JSON.parse(audit['details']!)).toEqual({ fingerprint: expect.stringMatching(/^[0-9A-F]{16}$/) });
    expect(audit['details']).not.toContain(res.json.publicKey);
  });

  it('the same key again changes nothing', async () => {
    const before = counts();
    const res = await asTerminal(TERMINAL_C, 'PUT', KEY_PATH, uploadKeyProof(TERMINAL_C, KEY_C1, FIXED_NOW));
    expect([res.status, res.json.changed]).toEqual([200, false]);
    expect(counts()).toEqual(before);
  });

  it('refuses a proof that does not verify, is stale, or names another terminal’s key; stores nothing', async () => {
    const before = counts();
    const good = uploadKeyProof(TERMINAL_C, KEY_C2, FIXED_NOW);
    const forged = { ...good, signature: `${good.signature.slice(0, 127)}${good.signature.endsWith('0') ? '1' : '0'}` };
    const forOther = uploadKeyProof(TERMINAL_B, KEY_C2, FIXED_NOW); // signed for B, sent by C
    const tooOld = uploadKeyProof(TERMINAL_C, KEY_C2, new Date(FIXED_NOW.getTime() - 5 * 60_000 - 1));
    const tooNew = uploadKeyProof(TERMINAL_C, KEY_C2, new Date(FIXED_NOW.getTime() + 5 * 60_000 + 1));
    const notNewer = uploadKeyProof(TERMINAL_C, KEY_C2, new Date(FIXED_NOW.getTime() - 180_000)); // older than C1's proof
    const expected: [unknown, number, string][] = [
      [forged, 422, 'UPLOAD_KEY_PROOF_INVALID'],
      [forOther, 422, 'UPLOAD_KEY_PROOF_INVALID'],
      [{ ...good, publicKey: KEY_A_PUBLIC }, 422, 'UPLOAD_KEY_PROOF_INVALID'],
      [tooOld, 422, 'UPLOAD_KEY_PROOF_STALE'],
      [tooNew, 422, 'UPLOAD_KEY_PROOF_STALE'],
      [notNewer, 422, 'UPLOAD_KEY_PROOF_STALE'],
      [DOC_PROOF, 422, 'UPLOAD_KEY_PROOF_INVALID'], // A's proof, replayed by C
      [uploadKeyProof(TERMINAL_C, KEY_A, FIXED_NOW), 409, 'UPLOAD_KEY_IN_USE'],
      [{ ...good, publicKey: good.publicKey.toLowerCase() }, 400, 'VALIDATION_FAILED'],
      [{ ...good, extra: 1 }, 400, 'VALIDATION_FAILED'],
      [{ ...good, issuedAt: '2026-11-23 12:00:00' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of expected) {
      const res = await asTerminal(TERMINAL_C, 'PUT', KEY_PATH, body);
      expect([res.status, res.json.error.code]).toEqual([status, code]);
    }
    expect(counts()).toEqual(before);
  });

  it('a newer proof replaces the key (audited); replaying the older proof cannot roll it back', async () => {
    const first = uploadKeyProof(TERMINAL_C, KEY_C1, new Date(FIXED_NOW.getTime() - 120_000));
    const res = await asTerminal(TERMINAL_C, 'PUT', KEY_PATH, uploadKeyProof(TERMINAL_C, KEY_C2, new Date(FIXED_NOW.getTime() - 60_000)));
    expect([res.status, res.json.changed]).toEqual([200, true]);
    const audit = kit.db.prepare('SELECT action, details FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Record<string, string>;
    expect(audit['action']).toBe('terminal.upload-key.replace');
    expect(Object.keys(JSON.parse(audit['details']!)).sort()).toEqual(['fingerprint', 'previousFingerprint']);
    const replay = await asTerminal(TERMINAL_C, 'PUT', KEY_PATH, first);
    expect([replay.status, replay.json.error.code]).toEqual([422, 'UPLOAD_KEY_PROOF_STALE']);
    const row = kit.db.prepare('SELECT public_key FROM terminal_upload_keys WHERE terminal_number = ?').get(TERMINAL_C) as { public_key: string };
    expect(row.public_key).toBe(res.json.publicKey);
  });
});

describe('batches', () => {
  it('stores the docs example and answers the same ack when it comes again', async () => {
    const body = { ...batchOf([DOC_RECORD], KEY_A, TERMINAL_A, DOC_BATCH_ID), createdAt: DOC_CREATED_AT, signature: DOC_SIGNATURE };
    const first = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, body);
    expect([first.status, first.json]).toEqual([200, { batchId: DOC_BATCH_ID, accepted: 1, duplicates: 0, conflicts: 0 }]);
    const before = counts();
    const again = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, body);
    expect([again.status, again.json]).toEqual([200, first.json]);
    expect(counts()).toEqual(before);

    const [row] = new UploadInboxRepository(kit.db).ofBatch(DOC_BATCH_ID);
    expect(row).toMatchObject({
      position: 0,
      kind: 'purchase',
      cardNumber: '1000000000000001',
      counter: 5,
      terminalNumber: TERMINAL_A,
      ttsn: 258,
      amount: 250,
      conflictOf: null,
      status: 'received',
      receivedAt: FIXED_NOW.toISOString(),
      statusAt: FIXED_NOW.toISOString(),
    });
    expect(JSON.parse(row!.record)).toEqual(DOC_RECORD);
    const batch = kit.db.prepare('SELECT digest, record_count, created_at FROM upload_batches WHERE batch_id = ?').get(DOC_BATCH_ID);
    expect(batch).toEqual({ digest: DOC_DIGEST, record_count: 1, created_at: DOC_CREATED_AT });
  });

  it('refuses the same batch id with other content (409) and stores nothing', async () => {
    const before = counts();
    const other = batchOf([purchase(900)], KEY_A, TERMINAL_A, DOC_BATCH_ID);
    const res = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, other);
    expect([res.status, res.json.error.code]).toEqual([409, 'BATCH_ID_REUSED']);
    // Another terminal using A's batch id: refused the same way.
    const byB = batchOf([purchase(900, { terminal: TERMINAL_B })], KEY_B, TERMINAL_B, DOC_BATCH_ID);
    expect((await asTerminal(TERMINAL_B, 'POST', BATCHES_PATH, byB)).json.error.code).toBe('BATCH_ID_REUSED');
    expect(counts()).toEqual(before);
  });

  it('counts a record already in the inbox from another batch as a duplicate', async () => {
    const res = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, batchOf([DOC_RECORD, purchase(10)]));
    expect(res.json).toMatchObject({ accepted: 1, duplicates: 1, conflicts: 0 });
    expect(kit.db.prepare("SELECT COUNT(*) AS n FROM upload_inbox WHERE card_number = '1000000000000001'").get()).toEqual({ n: 1 });
  });

  it('keeps another record under a held natural key as a conflict row, and its repeat as a duplicate', async () => {
    const base = (kit.db.prepare("SELECT id FROM upload_inbox WHERE card_number = '1000000000000001' AND counter = 5").get() as { id: number }).id;
    const sameCardCounter = { ...DOC_RECORD, tac: '11111111', ttsn: 7777 }; // a second DEBIT at counter 5: a cloned card
    const sameTtsn = purchase(11, { ttsn: 258 }); // another card under TTSN 258 of this terminal: a cloned PSAM
    const sameLoadCounter: PurseRecord = { ...loadRecord(), tac: '22222222' };
    const first = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, batchOf([loadRecord()]));
    expect(first.json).toMatchObject({ accepted: 1, duplicates: 0, conflicts: 0 });
    const loadBase = (kit.db.prepare("SELECT id FROM upload_inbox WHERE kind = 'load'").get() as { id: number }).id;

    const batch = batchOf([sameCardCounter, sameTtsn, sameLoadCounter, sameCardCounter]);
    const res = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, batch);
    expect(res.json).toEqual({ batchId: batch.batchId, accepted: 3, duplicates: 1, conflicts: 3 });
    const rows = new UploadInboxRepository(kit.db).ofBatch(batch.batchId);
    expect(rows.map((r) => [r.position, r.conflictOf, r.status])).toEqual([
      [0, base, 'received'],
      [1, base, 'received'],
      [2, loadBase, 'received'],
    ]);
    const again = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, batchOf([sameTtsn]));
    expect(again.json).toMatchObject({ accepted: 0, duplicates: 1, conflicts: 0 });
  });

  it('accepts batches out of order', async () => {
    const later = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, batchOf([purchase(30), purchase(31)]));
    const earlier = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, batchOf([purchase(20), purchase(21)]));
    expect([later.json.accepted, earlier.json.accepted]).toEqual([2, 2]);
    const counters = kit.db.prepare('SELECT counter FROM upload_inbox WHERE counter BETWEEN 20 AND 31 ORDER BY id').all().map((r) => (r as { counter: number }).counter);
    expect(counters).toEqual([30, 31, 20, 21]);
  });

  it('hands clearing the received rows oldest first', () => {
    const rows = new UploadInboxRepository(kit.db).byStatus('received', 3);
    expect(rows.map((r) => r.batchId)).toEqual([DOC_BATCH_ID, expect.any(String), expect.any(String)]);
    expect(rows.map((r) => r.id)).toEqual([...rows.map((r) => r.id)].sort((a, b) => a - b));
  });

  it('refuses a bad signature (422) and stores nothing', async () => {
    const before = counts();
    const good = batchOf([purchase(40)]);
    const flipped = { ...good, signature: `${good.signature.slice(0, 127)}${good.signature.endsWith('0') ? '1' : '0'}` };
    const otherKey = batchOf([purchase(40)], KEY_B);
    const tampered = { ...good, records: [{ ...good.records[0]!, amount: 1 }] };
    const movedTime = { ...good, createdAt: '2026-11-23T12:00:00.001Z' };
    for (const body of [flipped, otherKey, tampered, movedTime]) {
      const res = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, body);
      expect([res.status, res.json.error.code]).toEqual([422, 'BATCH_SIGNATURE_INVALID']);
    }
    expect(counts()).toEqual(before);
  });

  it('refuses another terminal’s batch or record (403) and a terminal without a key (409), storing nothing', async () => {
    const before = counts();
    const aBatch = batchOf([purchase(50)]);
    const byB = await asTerminal(TERMINAL_B, 'POST', BATCHES_PATH, aBatch);
    expect([byB.status, byB.json.error.code]).toEqual([403, 'WRONG_TERMINAL']);
    const foreignRecord = batchOf([purchase(51), purchase(52, { terminal: TERMINAL_B })]);
    const res = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, foreignRecord);
    expect([res.status, res.json.error.code, res.json.error.message]).toEqual([403, 'WRONG_TERMINAL', expect.stringContaining('record 1')]);
    const bOwnBatchForA = batchOf([purchase(53)], KEY_B, TERMINAL_B); // B's signature, A's records
    expect((await asTerminal(TERMINAL_B, 'POST', BATCHES_PATH, bOwnBatchForA)).json.error.code).toBe('WRONG_TERMINAL');
    const noKey = batchOf([purchase(54, { terminal: TERMINAL_D })], seedKey(0x80), TERMINAL_D);
    const missing = await asTerminal(TERMINAL_D, 'POST', BATCHES_PATH, noKey);
    expect([missing.status, missing.json.error.code]).toEqual([409, 'UPLOAD_KEY_MISSING']);
    const staff = await asTerminal(admin, 'POST', BATCHES_PATH, aBatch);
    expect(staff.status).toBe(401);
    expect(counts()).toEqual(before);
  });

  it('stores a full 500-record batch in one go', async () => {
    const records = Array.from({ length: 500 }, (_, i) => purchase(2000 + i));
    const res = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, batchOf(records));
    expect([res.status, res.json.accepted, res.json.duplicates]).toEqual([200, 500, 0]);
  });

  it('stores a batch whole or not at all: a failure on its third record leaves nothing, and the retry is accepted', async () => {
    const before = counts();
    const batch = batchOf([purchase(70), purchase(71), purchase(72)]);
    // Same connection as the app: the trigger stands in for a disk failure mid-batch.
    kit.db.exec("CREATE TEMP TRIGGER fail_third BEFORE INSERT ON upload_inbox WHEN NEW.position = 2 BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
    const failed = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, batch);
    kit.db.exec('DROP TRIGGER fail_third');
    expect([failed.status, failed.json.error.code]).toEqual([500, 'INTERNAL']);
    expect(counts()).toEqual(before);
    const retried = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, batch);
    expect(retried.json).toEqual({ batchId: batch.batchId, accepted: 3, duplicates: 0, conflicts: 0 });
  });

  it('refuses hostile input with 400 and stores nothing', async () => {
    const before = counts();
    const good = batchOf([purchase(60)]);
    const rec = good.records[0]! as PurchaseRecord;
    const withRecord = (patch: Record<string, unknown>): unknown => ({ ...good, records: [{ ...rec, ...patch }] });
    const withoutField = (field: string): unknown => {
      const copy: Record<string, unknown> = { ...rec };
      delete copy[field];
      return { ...good, records: [copy] };
    };
    const trailEntry = rec.trail[0]!;
    const hostile: unknown[] = [
      withRecord({ cardNumber: '100000000000006' }),
      withRecord({ cardNumber: "1' OR '1'='1'--xx" }),
      withRecord({ cardNumber: 1000000000000060 }),
      withRecord({ tac: 'a0f363c7' }),
      withRecord({ mac2: '0DEF3FA' }),
      withRecord({ amount: 0 }),
      withRecord({ amount: 2 ** 32 }),
      withRecord({ amount: 1.5 }),
      withRecord({ amount: '250' }),
      withRecord({ amount: -1 }),
      withRecord({ offlineCounter: 0x10000 }),
      withRecord({ ttsn: -1 }),
      withRecord({ keyVersion: 256 }),
      withRecord({ date: '20261323' }),
      withRecord({ time: '246000' }),
      withRecord({ kind: 'refund' }),
      withRecord({ onlineCounter: 1 }),
      withRecord({ extra: true }),
      withRecord({ mac2Verified: 'yes' }),
      withRecord({ terminal: '00000000000A' }),
      withRecord({ trail: [{ ...trailEntry, command: '805' }] }),
      withRecord({ trail: [{ ...trailEntry, name: 'DEBIT\u0000' }] }),
      withRecord({ trail: [{ ...trailEntry, slot: 'sam' }] }),
      withRecord({ trail: [{ ...trailEntry, at: 'yesterday' }] }),
      withRecord({ trail: Array.from({ length: 65 }, (_, i) => ({ ...trailEntry, seq: i % 64 })) }),
      withoutField('tac'),
      withoutField('trail'),
      { ...good, batchId: good.batchId.toUpperCase() },
      { ...good, batchId: 'not-a-uuid' },
      { ...good, createdAt: '23/11/2026' },
      { ...good, terminal: '1' },
      { ...good, signature: good.signature.slice(2) },
      { ...good, signature: good.signature.toLowerCase() },
      { ...good, records: [] },
      { ...good, records: Array.from({ length: 501 }, (_, i) => purchase(1000 + i)) },
      { ...good, records: 'all of them' },
      { ...good, extra: 1 },
      JSON.stringify(good).replace('{', '{"__proto__":{"admin":true},'),
      '{"batchId": ',
      [good],
    ];
    for (const body of hostile) {
      const res = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, body);
      expect([res.status, res.json.error.code]).toEqual([400, expect.stringMatching(/^(VALIDATION_FAILED|MALFORMED_JSON)$/)]);
    }
    const huge = await asTerminal(TERMINAL_A, 'POST', BATCHES_PATH, { ...good, padding: 'x'.repeat(BODY_LIMIT) });
    expect([huge.status, huge.json.error.code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect(counts()).toEqual(before);
  });
});

/** A load of 5000 by terminal A (spec §8.2), online counter 2. */
function loadRecord(): PurseRecord {
  return {
    kind: 'load',
    cardNumber: '1000000000000001',
    amount: 5000,
    terminal: TERMINAL_A,
    date: '20261123',
    time: '093000',
    balanceBefore: 10000,
    keyVersion: 1,
    algorithmId: 0,
    trail: [],
    onlineCounter: 2,
    mac2: 'DCBB1D14',
    tac: 'CC3A082D',
    tacVerified: true,
    recovered: false,
  };
}
