import type { Database } from 'better-sqlite3';
import type { Cardholder, CardholderKind, HouseholdRelation } from '../domain/cardholders/cardholder.js';

interface CardholderRow {
  id: string;
  kind: CardholderKind;
  full_name: string;
  citizen_id: string | null;
  birth_date: string;
  phone: string | null;
  address: string;
  household_id: string | null;
  relation_to_head: HouseholdRelation | null;
  residence_permit_no: string | null;
  permit_expires_on: string | null;
  created_at: string;
  updated_at: string;
}

const toRecord = (r: CardholderRow): Cardholder => ({
  id: r.id,
  kind: r.kind,
  fullName: r.full_name,
  citizenId: r.citizen_id,
  birthDate: r.birth_date,
  phone: r.phone,
  address: r.address,
  household:
    r.household_id !== null && r.relation_to_head !== null
      ? { householdId: r.household_id, relation: r.relation_to_head }
      : null,
  residencePermit:
    r.residence_permit_no !== null && r.permit_expires_on !== null
      ? { number: r.residence_permit_no, expiresOn: r.permit_expires_on }
      : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Escapes LIKE wildcards so a user's '%' or '_' matches itself. */
const likePrefix = (s: string): string => `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Search filters; unset fields do not filter. */
export interface CardholderFilter {
  readonly namePrefix?: string | undefined;
  readonly citizenId?: string | undefined;
  readonly householdId?: string | undefined;
  readonly limit: number;
}

/** All SQL of the cardholders table. Values are always bound parameters, never spliced into SQL. */
export class CardholderRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  insert(c: Cardholder): void {
    this.#db
      .prepare(
        `INSERT INTO cardholders (id, kind, full_name, citizen_id, birth_date, phone, address, household_id,
           relation_to_head, residence_permit_no, permit_expires_on, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.id, c.kind, c.fullName, c.citizenId, c.birthDate, c.phone, c.address,
        c.household?.householdId ?? null, c.household?.relation ?? null,
        c.residencePermit?.number ?? null, c.residencePermit?.expiresOn ?? null,
        c.createdAt, c.updatedAt,
      );
  }

  findById(id: string): Cardholder | undefined {
    const row = this.#db.prepare<[string], CardholderRow>('SELECT * FROM cardholders WHERE id = ?').get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  exists(id: string): boolean {
    return this.#db.prepare<[string], { id: string }>('SELECT id FROM cardholders WHERE id = ?').get(id) !== undefined;
  }

  idByCitizenId(citizenId: string): string | undefined {
    return this.#db.prepare<[string], { id: string }>('SELECT id FROM cardholders WHERE citizen_id = ?').get(citizenId)?.id;
  }

  idByResidencePermit(permitNo: string): string | undefined {
    return this.#db
      .prepare<[string], { id: string }>('SELECT id FROM cardholders WHERE residence_permit_no = ?')
      .get(permitNo)?.id;
  }

  householdHeadId(householdId: string): string | undefined {
    return this.#db
      .prepare<[string], { id: string }>(
        "SELECT id FROM cardholders WHERE household_id = ? AND relation_to_head = 'head'",
      )
      .get(householdId)?.id;
  }

  search(f: CardholderFilter): Cardholder[] {
    const where: string[] = [];
    const params: string[] = [];
    if (f.namePrefix !== undefined) {
      where.push("full_name LIKE ? ESCAPE '\\'");
      params.push(likePrefix(f.namePrefix));
    }
    if (f.citizenId !== undefined) {
      where.push('citizen_id = ?');
      params.push(f.citizenId);
    }
    if (f.householdId !== undefined) {
      where.push('household_id = ?');
      params.push(f.householdId);
    }
    const sql = `SELECT * FROM cardholders ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY full_name, id LIMIT ?`;
    return this.#db.prepare<unknown[], CardholderRow>(sql).all(...params, f.limit).map(toRecord);
  }

  updateContact(id: string, phone: string | null, address: string, updatedAt: string): void {
    this.#db
      .prepare('UPDATE cardholders SET phone = ?, address = ?, updated_at = ? WHERE id = ?')
      .run(phone, address, updatedAt, id);
  }
}
