/** Staff accounts (table `staff`). */
import type { Role } from '../domain/staff/roles.js';
import type { Db } from './db.js';

export interface StaffRecord {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  passwordHash: string;
  mustChangePassword: boolean;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  must_change_password: number;
  disabled: number;
  created_at: string;
  updated_at: string;
}

const COLUMNS = 'id, username, display_name, role, password_hash, must_change_password, disabled, created_at, updated_at';

function toRecord(r: Row): StaffRecord {
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    passwordHash: r.password_hash,
    mustChangePassword: r.must_change_password === 1,
    disabled: r.disabled === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class StaffRepository {
  constructor(private readonly db: Db) {}

  insert(s: StaffRecord): void {
    this.db
      .prepare(`INSERT INTO staff (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(s.id, s.username, s.displayName, s.role, s.passwordHash, s.mustChangePassword ? 1 : 0, s.disabled ? 1 : 0, s.createdAt, s.updatedAt);
  }

  byUsername(username: string): StaffRecord | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM staff WHERE username = ?`).get(username) as Row | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  byId(id: string): StaffRecord | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM staff WHERE id = ?`).get(id) as Row | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  list(): StaffRecord[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM staff ORDER BY username`).all() as Row[]).map(toRecord);
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM staff').get() as { n: number }).n;
  }

  /** Enabled accounts holding `role`. */
  countActiveWithRole(role: Role): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM staff WHERE role = ? AND disabled = 0').get(role) as { n: number }).n;
  }

  update(id: string, change: { role?: Role; disabled?: boolean; displayName?: string }, at: string): void {
    const cur = this.byId(id);
    if (cur === undefined) return;
    this.db
      .prepare('UPDATE staff SET role = ?, disabled = ?, display_name = ?, updated_at = ? WHERE id = ?')
      .run(change.role ?? cur.role, (change.disabled ?? cur.disabled) ? 1 : 0, change.displayName ?? cur.displayName, at, id);
  }

  setPassword(id: string, passwordHash: string, mustChange: boolean, at: string): void {
    this.db
      .prepare('UPDATE staff SET password_hash = ?, must_change_password = ?, updated_at = ? WHERE id = ?')
      .run(passwordHash, mustChange ? 1 : 0, at, id);
  }
}
