/** Certificates the HSM publishes (the city CA's own); public data, stored in clear. */
import { HsmKeyError } from '../errors.js';
import { type HsmDatabase } from './database.js';

export class CertificateStore {
  readonly #db: HsmDatabase;

  constructor(db: HsmDatabase) {
    this.#db = db;
  }

  /** Stores or replaces the certificate under `label`. */
  put(label: string, der: Uint8Array, createdAt: Date): void {
    this.#db
      .prepare(
        'INSERT INTO certificates (label, der, created_at) VALUES (?, ?, ?) ON CONFLICT(label) DO UPDATE SET der = excluded.der, created_at = excluded.created_at',
      )
      .run(label, Buffer.from(der), createdAt.toISOString());
  }

  /** The DER certificate under `label`. Throws `HsmKeyError` (KEY_NOT_FOUND) when absent. */
  get(label: string): Buffer {
    const row = this.#db.prepare<[string], { der: Buffer }>('SELECT der FROM certificates WHERE label = ?').get(label);
    if (row === undefined) throw new HsmKeyError('KEY_NOT_FOUND', `no certificate ${label}`);
    return row.der;
  }
}
