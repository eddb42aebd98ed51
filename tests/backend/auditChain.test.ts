import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DB_FILE, type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate, readMigrations } from '../../backend/src/data/migrate.js';
import {
  AuditEntryError,
  AuditLog,
  GENESIS_HASH,
  formatAuditChainReport,
  verifyAuditChain,
  verifyAuditChainFile,
} from '../../backend/src/domain/audit/index.js';

const FIXED_NOW = new Date('2026-03-01T08:00:00.000Z');
const AT = FIXED_NOW.toISOString();

// The backend's runner with this area's migrations (010-019) only: the suite owns its schema.
function openDb(dataDir: string): Db {
  const db = openDatabase(dataDir);
  migrate(db, readMigrations().filter((m) => m.version >= 10 && m.version <= 19));
  return db;
}

let dir: string;
let dbFile: string;
let db: Db;
let log: AuditLog;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'citycard-audit-'));
  db = openDb(dir);
  dbFile = join(dir, DB_FILE);
  log = new AuditLog(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function appendFive(): void {
  for (let i = 1; i <= 5; i++) {
    log.append({ at: AT, actor: 'staff-1', action: 'card.blocked', target: `card-${i}`, details: { reason: 'loss', n: i } });
  }
}

describe('audit log append', () => {
  it('hashes the documented canonical encoding, chained from the genesis hash', () => {
    const first = log.append({ at: AT, actor: 'staff-1', action: 'card.approved', target: 'card-1', details: { z: 1, a: ['x', true, null] } });
    const EXPECTED_DETAILS = '{"a":["x",true,null],"z":1}';
    const encoding = JSON.stringify([
      'citycard-audit-v1', 1, '2026-03-01T08:00:00.000Z', 'staff-1', 'card.approved', 'card-1', EXPECTED_DETAILS, GENESIS_HASH,
    ]);
    expect(first).toEqual({
      seq: 1,
      at: '2026-03-01T08:00:00.000Z',
      actor: 'staff-1',
      action: 'card.approved',
      subject: 'card-1',
      details: EXPECTED_DETAILS,
      prevHash: GENESIS_HASH,
      hash: createHash('sha256').update(encoding).digest('hex'),
    });
    const second = log.append({ at: AT, actor: 'system', action: 'card.expired', target: 'card-1' });
    expect(second.seq).toBe(2);
    expect(second.prevHash).toBe(first.hash);
    expect(second.details).toBe('{}');
    expect(log.forSubject('card-1').map((e) => e.seq)).toEqual([1, 2]);
  });

  it('refuses details that would carry secrets or personal data, and writes nothing', () => {
    const FORBIDDEN_DETAILS: Array<Record<string, unknown>> = [
      { pin: '1234' }, { fullName: 'x' }, { nested: { citizen_id: 'x' } }, { list: [{ key: 'x' }] },
    ];
    for (const details of FORBIDDEN_DETAILS) {
      expect(() => log.append({ at: AT, actor: 'a', action: 'b', target: 'c', details })).toThrow(AuditEntryError);
    }
    expect(() => log.append({ at: AT, actor: 'a', action: 'b', target: 'c', details: { n: Number.NaN } })).toThrow(AuditEntryError);
    expect(() => log.append({ at: AT, actor: '', action: 'b', target: 'c' })).toThrow(AuditEntryError);
    expect(verifyAuditChain(db)).toEqual({ ok: true, entries: 0, headHash: GENESIS_HASH });
  });

  it('takes entries without a target and leaves out undefined detail keys, as JSON does', () => {
    const e = log.append({ at: AT, actor: 'anonymous', action: 'staff.login_failed', details: { ip: '10.0.0.1', role: undefined } });
    expect(e).toMatchObject({ seq: 1, subject: null, details: '{"ip":"10.0.0.1"}' });
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, entries: 1 });
  });

  it('refuses a time that is not ISO-8601 UTC and details JSON cannot carry', () => {
    for (const at of ['2026-03-01 08:00:00', '2026-03-01T08:00:00+08:00', '']) {
      expect(() => log.append({ at, actor: 'a', action: 'b' })).toThrow(AuditEntryError);
    }
    for (const details of [{ when: new Date(0) }, { n: 1n }, { list: [undefined] }, { f: () => 1 }]) {
      expect(() => log.append({ at: AT, actor: 'a', action: 'b', details })).toThrow(AuditEntryError);
    }
    expect(() => log.append({ at: AT, actor: 'a', action: 'b', target: 'x'.repeat(201) })).toThrow(AuditEntryError);
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, entries: 0 });
  });

  it('rolls back with the caller transaction it joined', () => {
    appendFive();
    expect(() =>
      db.transaction(() => {
        log.append({ at: AT, actor: 'a', action: 'b', target: 'c' });
        throw new Error('state change failed');
      })(),
    ).toThrow('state change failed');
    expect(log.append({ at: AT, actor: 'a', action: 'b', target: 'c' }).seq).toBe(6);
  });
});

describe('audit chain verification', () => {
  it('proves an intact chain and reports its head', () => {
    appendFive();
    const report = verifyAuditChain(db);
    expect(report).toEqual({ ok: true, entries: 5, headHash: log.forSubject('card-5')[0]?.hash });
    expect(formatAuditChainReport(report).exitCode).toBe(0);
  });

  it('triggers refuse UPDATE and DELETE', () => {
    appendFive();
    expect(() => db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/append-only/);
    expect(verifyAuditChain(db).ok).toBe(true);
  });

  it('detects an edited row at its seq', () => {
    appendFive();
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET details = '{"n":3,"reason":"found"}' WHERE seq = 3`).run();
    expect(verifyAuditChain(db)).toEqual({ ok: false, entries: 2, firstBrokenSeq: 3, reason: 'hash-mismatch' });
  });

  it('detects an edit whose hash was recomputed at the next seq', () => {
    appendFive();
    db.exec('DROP TRIGGER audit_log_no_update');
    const row = db.prepare<[], { prev_hash: string }>('SELECT prev_hash FROM audit_log WHERE seq = 3').get()!;
    const encoding = JSON.stringify([
      'citycard-audit-v1', 3, FIXED_NOW.toISOString(), 'mallory', 'card.blocked', 'card-3', '{}', row.prev_hash,
    ]);
    const forged = createHash('sha256').update(encoding).digest('hex');
    db.prepare(`UPDATE audit_log SET actor = 'mallory', details = '{}', hash = ? WHERE seq = 3`).run(forged);
    expect(verifyAuditChain(db)).toEqual({ ok: false, entries: 3, firstBrokenSeq: 4, reason: 'prev-hash-mismatch' });
  });

  it('detects a deleted row at the missing seq', () => {
    appendFive();
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE seq = 4').run();
    expect(verifyAuditChain(db)).toEqual({ ok: false, entries: 3, firstBrokenSeq: 4, reason: 'missing-entry' });
  });

  it('detects a deleted first row at seq 1', () => {
    appendFive();
    db.exec('DROP TRIGGER audit_log_no_delete');
    db.prepare('DELETE FROM audit_log WHERE seq = 1').run();
    expect(verifyAuditChain(db)).toEqual({ ok: false, entries: 0, firstBrokenSeq: 1, reason: 'missing-entry' });
  });

  it('detects two reordered rows at the first moved seq', () => {
    appendFive();
    db.exec('DROP TRIGGER audit_log_no_update');
    db.exec('UPDATE audit_log SET seq = -2 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -2;');
    expect(verifyAuditChain(db)).toEqual({ ok: false, entries: 1, firstBrokenSeq: 2, reason: 'prev-hash-mismatch' });
  });

  it('verifies a closed WAL database file, as the CLI does with the server stopped', () => {
    appendFive();
    db.close();
    expect(verifyAuditChainFile(dbFile)).toMatchObject({ ok: true, entries: 5 });
  });

  it('verifies a database file read-only for the CLI and formats a broken chain', () => {
    appendFive();
    expect(verifyAuditChainFile(dbFile)).toMatchObject({ ok: true, entries: 5 });
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET subject = 'card-9' WHERE seq = 5`).run();
    const report = verifyAuditChainFile(dbFile);
    expect(formatAuditChainReport(report)).toEqual({
      text: 'audit chain BROKEN at seq 5 (hash-mismatch); 4 entries before it are sound',
      exitCode: 1,
    });
    expect(() => verifyAuditChainFile(join(dir, 'absent.sqlite'))).toThrow();
  });
});
