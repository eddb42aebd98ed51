/** All SQL of the merchants table. */
import type { Database } from 'better-sqlite3';
import type { Merchant, MerchantCategory } from '../domain/terminals/terminal.js';

interface MerchantRow {
  id: string;
  name: string;
  category: MerchantCategory;
  created_at: string;
}

const toRecord = (r: MerchantRow): Merchant => ({ id: r.id, name: r.name, category: r.category, createdAt: r.created_at });

export class MerchantRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  insert(m: Merchant): void {
    this.#db.prepare('INSERT INTO merchants (id, name, category, created_at) VALUES (?, ?, ?, ?)').run(m.id, m.name, m.category, m.createdAt);
  }

  findById(id: string): Merchant | undefined {
    const row = this.#db.prepare<[string], MerchantRow>('SELECT * FROM merchants WHERE id = ?').get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Every merchant, by name. */
  list(): Merchant[] {
    return this.#db.prepare<[], MerchantRow>('SELECT * FROM merchants ORDER BY name, id').all().map(toRecord);
  }
}
