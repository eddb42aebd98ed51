/**
 * Registered clients: name, role and authentication key. The key is sealed under the LMK with the
 * name and role as AAD, so promoting a client by editing its role in the file makes it unusable.
 */
import { HsmClientRegistryError, HsmRequestError } from '../errors.js';
import { type HsmDatabase } from '../keystore/database.js';
import { type LmkCipher } from '../keystore/lmkCipher.js';
import { CLIENT_NAME_PATTERN, deriveAuthKey, newToken } from './credentials.js';
import { type ClientIdentity, type Role, isRole } from './roles.js';

export interface ClientInfo extends ClientIdentity {
  /** ISO 8601. */
  readonly createdAt: string;
}

interface ClientRow {
  name: string;
  role: string;
  sealed: Buffer;
  created_at: string;
}

function aad(name: string, role: string): string {
  return `client|${name}|${role}`;
}

export class ClientRegistry {
  readonly #db: HsmDatabase;
  readonly #cipher: LmkCipher;

  constructor(db: HsmDatabase, cipher: LmkCipher) {
    this.#db = db;
    this.#cipher = cipher;
  }

  /**
   * Registers a client and returns its one-time token (`NAME.SECRET`); only the derived key is
   * kept. Throws `HsmRequestError` on a bad name or role, `HsmClientRegistryError` (CLIENT_EXISTS).
   */
  add(name: string, role: Role, createdAt: Date): { info: ClientInfo; token: string } {
    if (!CLIENT_NAME_PATTERN.test(name)) throw new HsmRequestError(`invalid client name "${name.slice(0, 40)}"`);
    if (!isRole(role)) throw new HsmRequestError(`unknown role "${String(role).slice(0, 20)}"`);
    if (this.#row(name) !== undefined) throw new HsmClientRegistryError('CLIENT_EXISTS', `client ${name} already exists`);
    const { token, secret } = newToken(name);
    const authKey = deriveAuthKey(secret);
    secret.fill(0);
    const at = createdAt.toISOString();
    this.#db
      .prepare('INSERT INTO clients (name, role, sealed, created_at) VALUES (?, ?, ?, ?)')
      .run(name, role, this.#cipher.seal(authKey, aad(name, role)), at);
    authKey.fill(0);
    return { info: { name, role, createdAt: at }, token };
  }

  /** Removes a client. Throws `HsmClientRegistryError` (CLIENT_NOT_FOUND). */
  remove(name: string): void {
    const result = this.#db.prepare('DELETE FROM clients WHERE name = ?').run(name);
    if (result.changes === 0) throw new HsmClientRegistryError('CLIENT_NOT_FOUND', `no client ${name.slice(0, 40)}`);
  }

  list(): ClientInfo[] {
    return this.#db
      .prepare<[], ClientRow>('SELECT * FROM clients ORDER BY name')
      .all()
      .map((r) => ({ name: r.name, role: r.role as Role, createdAt: r.created_at }));
  }

  /**
   * The identity and authentication key of `name`, or undefined when unknown. Throws
   * `HsmStoreError` when the sealed key fails authentication (tampered role or record).
   */
  lookup(name: string): { identity: ClientIdentity; authKey: Buffer } | undefined {
    const row = this.#row(name);
    if (row === undefined || !isRole(row.role)) return undefined;
    return { identity: { name: row.name, role: row.role }, authKey: this.#cipher.open(row.sealed, aad(row.name, row.role)) };
  }

  #row(name: string): ClientRow | undefined {
    return this.#db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE name = ?').get(name);
  }
}
