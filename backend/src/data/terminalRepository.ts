/** All SQL of the terminals table. The credential hash leaves this file only through `credentialHash`. */
import type { Database } from 'better-sqlite3';
import type { Terminal, TerminalMode } from '../domain/terminals/terminal.js';

interface TerminalRow {
  terminal_number: string;
  merchant_id: string;
  mode: TerminalMode;
  location: string;
  credential_hash: string;
  credential_issued_at: string;
  disabled: number;
  created_at: string;
  updated_at: string;
}

const toRecord = (r: TerminalRow): Terminal => ({
  terminalNumber: r.terminal_number,
  merchantId: r.merchant_id,
  mode: r.mode,
  location: r.location,
  disabled: r.disabled === 1,
  credentialIssuedAt: r.credential_issued_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class TerminalRepository {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  insert(t: Terminal, credentialHash: string): void {
    this.#db
      .prepare(
        `INSERT INTO terminals (terminal_number, merchant_id, mode, location, credential_hash, credential_issued_at, disabled, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(t.terminalNumber, t.merchantId, t.mode, t.location, credentialHash, t.credentialIssuedAt, t.disabled ? 1 : 0, t.createdAt, t.updatedAt);
  }

  find(terminalNumber: string): Terminal | undefined {
    const row = this.#db.prepare<[string], TerminalRow>('SELECT * FROM terminals WHERE terminal_number = ?').get(terminalNumber);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The stored SHA-256 (hex) of the terminal's secret and whether it is disabled; undefined for an unknown terminal. */
  credentialHash(terminalNumber: string): { hash: string; disabled: boolean } | undefined {
    const row = this.#db
      .prepare<[string], Pick<TerminalRow, 'credential_hash' | 'disabled'>>('SELECT credential_hash, disabled FROM terminals WHERE terminal_number = ?')
      .get(terminalNumber);
    return row === undefined ? undefined : { hash: row.credential_hash, disabled: row.disabled === 1 };
  }

  /** Every terminal, by number, optionally of one merchant. */
  list(merchantId?: string): Terminal[] {
    const rows =
      merchantId === undefined
        ? this.#db.prepare<[], TerminalRow>('SELECT * FROM terminals ORDER BY terminal_number').all()
        : this.#db.prepare<[string], TerminalRow>('SELECT * FROM terminals WHERE merchant_id = ? ORDER BY terminal_number').all(merchantId);
    return rows.map(toRecord);
  }

  /** False when there is no such terminal. */
  replaceCredential(terminalNumber: string, credentialHash: string, at: string): boolean {
    return (
      this.#db
        .prepare('UPDATE terminals SET credential_hash = ?, credential_issued_at = ?, updated_at = ? WHERE terminal_number = ?')
        .run(credentialHash, at, at, terminalNumber).changes === 1
    );
  }

  /** False when there is no such terminal. */
  setDisabled(terminalNumber: string, disabled: boolean, at: string): boolean {
    return (
      this.#db.prepare('UPDATE terminals SET disabled = ?, updated_at = ? WHERE terminal_number = ?').run(disabled ? 1 : 0, at, terminalNumber)
        .changes === 1
    );
  }
}
