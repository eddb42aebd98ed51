/**
 * Many rows per INSERT statement: `INSERT ... VALUES (?, ?), (?, ?), ...` prepared once per row
 * count and run over a flat list of values. One statement of 64 rows costs far less than 64 of
 * one row (each statement is a round trip into the driver and a VDBE program start). The
 * statement is built only from the caller's fixed SQL text; values are always bound.
 */
import type { Database, Statement } from 'better-sqlite3';

/** Rows per statement: well under SQLite's 32,766 bound parameters for any table here. */
export const ROWS_PER_STATEMENT = 64;

export type SqlValue = string | number | bigint | null;

export class MultiRowInsert {
  readonly #db: Database;
  readonly #head: string;
  readonly #tail: string;
  readonly #columns: number;
  readonly #row: string;
  // At most ROWS_PER_STATEMENT statements: the full one and each remainder size met so far.
  readonly #statements = new Map<number, Statement>();

  /**
   * @param head `INSERT INTO table (a, b, c)`; the VALUES list follows it.
   * @param columns values per row, 1..64 (the columns the head names).
   * @param tail what follows the VALUES list, e.g. `ON CONFLICT DO NOTHING`; default none.
   */
  constructor(db: Database, head: string, columns: number, tail = '') {
    if (!Number.isInteger(columns) || columns < 1 || columns > 64) throw new RangeError('columns is an integer 1..64');
    this.#db = db;
    this.#head = head;
    this.#tail = tail;
    this.#columns = columns;
    this.#row = `(${Array.from({ length: columns }, () => '?').join(', ')})`;
  }

  /**
   * Inserts `values.length / columns` rows, in order, ROWS_PER_STATEMENT at a time.
   * @returns rows changed (inserted, or as the tail's conflict clause decides).
   * @throws RangeError when values is not whole rows; the driver's errors (a constraint failure
   *   undoes its own statement only: rows of earlier statements stay, as with one row each).
   */
  run(values: readonly SqlValue[]): number {
    if (values.length % this.#columns !== 0) throw new RangeError(`${values.length} values are not whole rows of ${this.#columns}`);
    const chunk = ROWS_PER_STATEMENT * this.#columns;
    let changes = 0;
    for (let i = 0; i < values.length; i += chunk) {
      const part = values.length - i <= chunk && i === 0 ? values : values.slice(i, i + chunk);
      changes += this.#statement(part.length / this.#columns).run(part).changes;
    }
    return changes;
  }

  #statement(rows: number): Statement {
    let s = this.#statements.get(rows);
    if (s === undefined) {
      s = this.#db.prepare(`${this.#head} VALUES ${Array.from({ length: rows }, () => this.#row).join(', ')} ${this.#tail}`);
      this.#statements.set(rows, s);
    }
    return s;
  }
}
