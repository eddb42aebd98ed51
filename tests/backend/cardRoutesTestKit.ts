/**
 * A backend on a random port over an in-memory database, with one signed-in account per role
 * (plus a second supervisor for dual control), a fixed clock and a recording hotlist publisher.
 * Shared by the cardholder and card route tests.
 */
import pino from 'pino';
import { type BackendApp, createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { citizenIdCheckChar } from '../../backend/src/domain/cardholders/citizenId.js';
import { ROLES, type Role } from '../../backend/src/domain/staff/roles.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

export const FIXED_NOW = new Date('2026-11-23T12:00:00.000Z');
const PASSWORD = 'card routes test passphrase';

/** Usernames of the signed-in accounts: clerk1, supervisor1, auditor1, admin1 and supervisor2. */
export type Account = `${Role}1` | 'supervisor2';

export interface Kit {
  server: RunningServer;
  built: BackendApp;
  db: Db;
  tokens: Map<Account, string>;
  staffIds: Map<Account, string>;
  /** Signed one-entry deltas pushed to online terminals, in order. */
  pushes: Buffer[];
  call: (method: string, path: string, who?: Account, body?: unknown) => Promise<Answer>;
  close: () => Promise<void>;
}

export interface Answer {
  status: number;
  /** Parsed JSON body (read loosely: each test checks the fields it cares about). */
  json: any;
}

/** An 18-character citizen ID for a birth date YYYYMMDD with a valid check character. */
export function citizenId(birth: string, seq = '123', region = '110101'): string {
  const body = `${region}${birth}${seq}`;
  return body + citizenIdCheckChar(body);
}

export async function startKit(): Promise<Kit> {
  const db = openDatabase(':memory:');
  migrate(db);
  const pushes: Buffer[] = [];
  const built = createApp({
    config: loadConfig({}, { redisUrl: '' }),
    db,
    clock: () => FIXED_NOW,
    hotlistPublisher: { publish: async (b) => void pushes.push(b) },
  });
  const tokens = new Map<Account, string>();
  const staffIds = new Map<Account, string>();
  const accounts: [Account, Role][] = [...ROLES.map((r): [Account, Role] => [`${r}1`, r]), ['supervisor2', 'supervisor']];
  for (const [username, role] of accounts) {
    const { staff, oneTimePassword } = await built.context.staff.create({ username, displayName: username, role }, 'system');
    await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
    tokens.set(username, (await built.context.sessions.login(username, PASSWORD, '127.0.0.1')).token);
    staffIds.set(username, staff.id);
  }
  const server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
  const call = async (method: string, path: string, who?: Account, body?: unknown): Promise<Answer> => {
    const token = who === undefined ? undefined : tokens.get(who);
    const res = await fetch(server.url + path, {
      method,
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };
  return { server, built, db, tokens, staffIds, pushes, call, close: () => server.close() };
}

/** Row counts of the tables a refused request must leave alone. */
export function tableCounts(db: Db): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ['cardholders', 'cardholder_access_log', 'cards', 'audit_log', 'hotlist_entries', 'approvals']) {
    out[t] = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
  }
  return out;
}
