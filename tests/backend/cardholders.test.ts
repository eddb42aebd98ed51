import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate, readMigrations } from '../../backend/src/data/migrate.js';
import { AuditLog, verifyAuditChain } from '../../backend/src/domain/audit/index.js';
import {
  CITIZEN_KIOSK,
  CardholderNotFoundError,
  CardholderRegistry,
  CardholderValidationError,
  DuplicateCardholderError,
  HouseholdHeadExistsError,
  citizenIdCheckChar,
  citizenIdProblem,
  type EnrollCardholderInput,
} from '../../backend/src/domain/cardholders/index.js';

const FIXED_NOW = new Date('2026-03-01T08:00:00.000Z');

// The GB 11643 sample number (check character X) and two more built from it.
const CITIZEN_ID_1949 = '11010519491231002X';
const CITIZEN_ID_1949_WRONG_CHECK = '110105194912310021';
const CITIZEN_ID_1990 = '44030419900307123X';
const CITIZEN_ID_2001 = '650102200108154569';
const CITIZEN_ID_FEB_30 = '310101198502300013';

// The backend's runner with this area's migrations (010-019) only: the suite owns its schema.
function openDb(dataDir: string): Db {
  const db = openDatabase(dataDir);
  migrate(db, readMigrations().filter((m) => m.version >= 10 && m.version <= 19));
  return db;
}

let dir: string;
let db: Db;
let registry: CardholderRegistry;
let idCounter: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'citycard-cardholders-'));
  db = openDb(dir);
  idCounter = 0;
  registry = new CardholderRegistry(db, new AuditLog(db), {
    clock: () => FIXED_NOW,
    newId: () => `ch-${++idCounter}`,
  });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const RESIDENT: EnrollCardholderInput = {
  kind: 'resident',
  fullName: '张伟',
  citizenId: CITIZEN_ID_1949,
  birthDate: '1949-12-31',
  phone: '+86 532 8888-1234',
  address: '青岛市市南区香港中路 1 号',
  household: { householdId: 'HH-0001', relation: 'head' },
};

const FLOATING: EnrollCardholderInput = {
  kind: 'floating',
  fullName: 'Maria Müller-Lüdenscheidt',
  birthDate: '1990-03-07',
  address: 'Room 5, Building 3, Laoshan District',
  residencePermit: { number: 'QD-2025-000123', expiresOn: '2027-01-31' },
};

const STAFF_READ = { accessor: 'staff-7', purpose: 'service' } as const;
const tableCount = (table: string): number =>
  db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()!.n;

function expectIssues(fn: () => unknown, paths: string[]): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CardholderValidationError);
    expect((e as CardholderValidationError).issues.map((i) => i.path)).toEqual(paths);
    return;
  }
  throw new Error('expected a CardholderValidationError');
}

describe('citizen ID check digit (ISO 7064 MOD 11-2)', () => {
  it('computes the check character of known numbers', () => {
    expect(citizenIdCheckChar('11010519491231002')).toBe('X');
    expect(citizenIdCheckChar('65010220010815456')).toBe('9');
    expect(citizenIdProblem(CITIZEN_ID_1990)).toBeUndefined();
  });

  it('names what is wrong with a bad number', () => {
    expect(citizenIdProblem(CITIZEN_ID_1949_WRONG_CHECK)).toMatch(/check digit/);
    expect(citizenIdProblem(CITIZEN_ID_FEB_30)).toMatch(/birth date/);
    expect(citizenIdProblem('11010519491231002')).toMatch(/17 digits/);
    expect(citizenIdProblem('11010519491231002x')).toMatch(/17 digits/);
    expect(() => citizenIdCheckChar('1101051949123100')).toThrow(RangeError);
  });
});

describe('enrollment', () => {
  it('stores a resident and a floating-population member and reads them back exactly', () => {
    const resident = registry.enroll(RESIDENT, 'staff-1');
    const floating = registry.enroll(FLOATING, 'staff-1');
    expect(registry.get(resident.id, STAFF_READ)).toEqual({
      id: 'ch-1',
      kind: 'resident',
      fullName: '张伟',
      citizenId: CITIZEN_ID_1949,
      birthDate: '1949-12-31',
      phone: '+86 532 8888-1234',
      address: '青岛市市南区香港中路 1 号',
      household: { householdId: 'HH-0001', relation: 'head' },
      residencePermit: null,
      createdAt: '2026-03-01T08:00:00.000Z',
      updatedAt: '2026-03-01T08:00:00.000Z',
    });
    expect(registry.get(floating.id, STAFF_READ)).toMatchObject({
      kind: 'floating',
      fullName: 'Maria Müller-Lüdenscheidt',
      citizenId: null,
      phone: null,
      household: null,
      residencePermit: { number: 'QD-2025-000123', expiresOn: '2027-01-31' },
    });
  });

  it('stores unicode names and SQL metacharacters exactly, as plain data', () => {
    const NAMES = ['阿依古丽·买买提', "O'Brien", 'Đặng Thị Ngọc', 'José María', 'Zoë', 'Ñandú', 'Åsa-Lill'];
    const HOSTILE_ADDRESS = `1'); DROP TABLE cardholders; -- "x" % _ \\ ; /* */`;
    NAMES.forEach((fullName, i) => {
      const c = registry.enroll({ ...FLOATING, fullName, address: HOSTILE_ADDRESS, residencePermit: { number: `P-00000${i}`, expiresOn: '2027-01-31' } }, 'staff-1');
      const back = registry.get(c.id, STAFF_READ);
      expect(back.fullName).toBe(fullName);
      expect(back.address).toBe(HOSTILE_ADDRESS);
    });
    expect(tableCount('cardholders')).toBe(NAMES.length);
  });

  it('accepts a lowercase x check character and stores it uppercase', () => {
    const c = registry.enroll({ ...RESIDENT, citizenId: CITIZEN_ID_1949.toLowerCase() }, 'staff-1');
    expect(c.citizenId).toBe(CITIZEN_ID_1949);
  });

  it('refuses hostile and malformed input, naming each field, and stores nothing', () => {
    expectIssues(() => registry.enroll({ ...RESIDENT, citizenId: CITIZEN_ID_1949_WRONG_CHECK }, 's'), ['citizenId']);
    expectIssues(() => registry.enroll({ ...RESIDENT, citizenId: CITIZEN_ID_FEB_30, birthDate: '1985-02-28' }, 's'), ['citizenId']);
    expectIssues(() => registry.enroll({ ...RESIDENT, birthDate: '1949-12-30' }, 's'), ['birthDate']);
    expectIssues(() => registry.enroll({ ...RESIDENT, fullName: "x'; DROP TABLE cardholders;--" }, 's'), ['fullName']);
    expectIssues(() => registry.enroll({ ...RESIDENT, fullName: '' }, 's'), ['fullName']);
    expectIssues(() => registry.enroll({ ...RESIDENT, fullName: '张'.repeat(101) }, 's'), ['fullName']);
    expectIssues(() => registry.enroll({ ...RESIDENT, fullName: 'Bob1' }, 's'), ['fullName']);
    expectIssues(() => registry.enroll({ ...RESIDENT, phone: '12; --' }, 's'), ['phone']);
    expectIssues(() => registry.enroll({ ...RESIDENT, address: 'line\nbreak' }, 's'), ['address']);
    expectIssues(() => registry.enroll({ ...RESIDENT, address: 'x'.repeat(201) }, 's'), ['address']);
    expectIssues(() => registry.enroll({ ...RESIDENT, birthDate: '1949-13-01' }, 's'), ['birthDate']);
    expectIssues(() => registry.enroll({ ...RESIDENT, household: { householdId: 'HH 1', relation: 'boss' } }, 's'), [
      'household.householdId',
      'household.relation',
    ]);
    expectIssues(() => registry.enroll({ ...RESIDENT, isAdmin: true }, 's'), ['(input)']);
    expectIssues(() => registry.enroll({ ...RESIDENT, fullName: 42 }, 's'), ['fullName']);
    expectIssues(() => registry.enroll({ kind: 'resident', fullName: '张伟' }, 's'), ['citizenId', 'birthDate', 'address']);
    expectIssues(() => registry.enroll({ ...FLOATING, residencePermit: undefined }, 's'), ['residencePermit']);
    expectIssues(() => registry.enroll({ ...FLOATING, residencePermit: { number: 'QD-1', expiresOn: '2027-01-31' } }, 's'), [
      'residencePermit.number',
    ]);
    expectIssues(() => registry.enroll({ ...FLOATING, residencePermit: { number: 'QD-000001', expiresOn: '2026-02-28' } }, 's'), [
      'residencePermit.expiresOn',
    ]);
    expectIssues(() => registry.enroll({ ...FLOATING, birthDate: '2026-03-02' }, 's'), ['birthDate']);
    expectIssues(() => registry.enroll({ ...RESIDENT, kind: 'tourist' }, 's'), ['kind']);
    expectIssues(() => registry.enroll(null, 's'), ['(input)']);
    expect(tableCount('cardholders')).toBe(0);
    expect(tableCount('audit_log')).toBe(0);
  });

  it('refuses a second registration of one citizen ID or permit, and a second household head', () => {
    registry.enroll(RESIDENT, 'staff-1');
    registry.enroll(FLOATING, 'staff-1');
    expect(() => registry.enroll({ ...RESIDENT, household: undefined }, 's')).toThrow(DuplicateCardholderError);
    expect(() => registry.enroll({ ...FLOATING, fullName: 'Other' }, 's')).toThrow(DuplicateCardholderError);
    const secondHead = { ...RESIDENT, citizenId: CITIZEN_ID_1990, birthDate: '1990-03-07' };
    expect(() => registry.enroll(secondHead, 's')).toThrow(HouseholdHeadExistsError);
    registry.enroll({ ...secondHead, household: { householdId: 'HH-0001', relation: 'spouse' } }, 's');
    expect(tableCount('cardholders')).toBe(3);
  });

  it('audits enrollment and contact changes with ids only', () => {
    const c = registry.enroll(RESIDENT, 'staff-1');
    registry.updateContact(c.id, { phone: null, address: 'New address 2' }, 'staff-2');
    const rows = db.prepare<[], { actor: string; action: string; subject: string; details: string }>(
      'SELECT actor, action, subject, details FROM audit_log ORDER BY seq',
    ).all();
    expect(rows).toEqual([
      { actor: 'staff-1', action: 'cardholder.enrolled', subject: 'ch-1', details: '{"householdId":"HH-0001","kind":"resident"}' },
      { actor: 'staff-2', action: 'cardholder.contact-updated', subject: 'ch-1', details: '{"fields":["phone","address"]}' },
    ]);
    expect(registry.get(c.id, STAFF_READ)).toMatchObject({ phone: null, address: 'New address 2' });
    expect(verifyAuditChain(db).ok).toBe(true);
    expectIssues(() => registry.updateContact(c.id, {}, 's'), ['(input)']);
    expect(() => registry.updateContact('nobody', { address: 'x' }, 's')).toThrow(CardholderNotFoundError);
  });
});

describe('personal-data access log', () => {
  it('logs who, when and why for every read, queryable per cardholder', () => {
    const a = registry.enroll(RESIDENT, 'staff-1');
    const b = registry.enroll({ ...RESIDENT, fullName: '张敏', citizenId: CITIZEN_ID_2001, birthDate: '2001-08-15', household: { householdId: 'HH-0001', relation: 'child' } }, 'staff-1');
    const f = registry.enroll(FLOATING, 'staff-1');
    registry.get(a.id, { accessor: 'staff-7', purpose: 'issuance' });
    registry.get(a.id, { accessor: CITIZEN_KIOSK, purpose: 'citizen-request' });
    expect(registry.household('HH-0001', { accessor: 'staff-9', purpose: 'audit' }).map((c) => c.id).sort()).toEqual([a.id, b.id]);
    expect(registry.search({ namePrefix: '张' }, { accessor: 'staff-9', purpose: 'service' }).map((c) => c.id)).toEqual([a.id, b.id]);
    expect(registry.search({ citizenId: CITIZEN_ID_1949.toLowerCase() }, STAFF_READ).map((c) => c.id)).toEqual([a.id]);

    const at = '2026-03-01T08:00:00.000Z';
    expect(registry.accessLogFor(a.id).map(({ accessor, purpose, at: when }) => ({ accessor, purpose, at: when }))).toEqual([
      { accessor: 'staff-7', purpose: 'issuance', at },
      { accessor: CITIZEN_KIOSK, purpose: 'citizen-request', at },
      { accessor: 'staff-9', purpose: 'audit', at },
      { accessor: 'staff-9', purpose: 'service', at },
      { accessor: 'staff-7', purpose: 'service', at },
    ]);
    expect(registry.accessLogFor(b.id).map((e) => e.purpose)).toEqual(['audit', 'service']);
    expect(registry.accessLogFor(f.id)).toEqual([]);
  });

  it('treats LIKE wildcards in a name search as literal characters', () => {
    registry.enroll(RESIDENT, 'staff-1');
    expect(registry.search({ namePrefix: '%' }, STAFF_READ)).toEqual([]);
    expect(registry.search({ namePrefix: '_' }, STAFF_READ)).toEqual([]);
    expect(tableCount('cardholder_access_log')).toBe(0);
  });

  it('refuses a read without a valid purpose or reader, and logs nothing for a missing cardholder', () => {
    const a = registry.enroll(RESIDENT, 'staff-1');
    expectIssues(() => registry.get(a.id, { accessor: 'staff-7' }), ['purpose']);
    expectIssues(() => registry.get(a.id, { accessor: 'staff-7', purpose: 'curiosity' }), ['purpose']);
    expectIssues(() => registry.get(a.id, { accessor: "x' OR 1=1", purpose: 'service' }), ['accessor']);
    expectIssues(() => registry.search({}, STAFF_READ), ['(input)']);
    expect(() => registry.get('ch-404', STAFF_READ)).toThrow(CardholderNotFoundError);
    expect(() => registry.accessLogFor('ch-404')).toThrow(CardholderNotFoundError);
    expect(tableCount('cardholder_access_log')).toBe(0);
  });

  it('keeps the access log append-only', () => {
    const a = registry.enroll(RESIDENT, 'staff-1');
    registry.get(a.id, STAFF_READ);
    expect(() => db.prepare('DELETE FROM cardholder_access_log').run()).toThrow(/append-only/);
    expect(() => db.prepare("UPDATE cardholder_access_log SET purpose = 'audit'").run()).toThrow(/append-only/);
  });
});
