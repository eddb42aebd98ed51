/** All SQL of the terminal_psams table. */
import type { Database } from 'better-sqlite3';
import type { Psam } from '../domain/terminals/terminal.js';

interface PsamRow {
  serial: string;
  terminal_number: string;
  created_at: string;
}

const toRecord = (r: PsamRow): Psam => ({ serial: r.serial, terminalNumber: r.terminal_number, createdAt: r.created_at });

export class TerminalPsamRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  insert(p: Psam): void {
    this.#db.prepare('INSERT INTO terminal_psams (serial, terminal_number, created_at) VALUES (?, ?, ?)').run(p.serial, p.terminalNumber, p.createdAt);
  }

  find(serial: string): Psam | undefined {
    const row = this.#db.prepare<[string], PsamRow>('SELECT * FROM terminal_psams WHERE serial = ?').get(serial);
    return row === undefined ? undefined : toRecord(row);
  }

  forTerminal(terminalNumber: string): Psam[] {
    return this.#db
      .prepare<[string], PsamRow>('SELECT * FROM terminal_psams WHERE terminal_number = ? ORDER BY serial')
      .all(terminalNumber)
      .map(toRecord);
  }
}
