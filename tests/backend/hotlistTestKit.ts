/**
 * Shared fixtures of the hotlist and identity suites: a fixed Ed25519 key (signatures are
 * deterministic, so signed bytes are exact fixtures) and a database with only this area's
 * migrations (020-029).
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { fromHex } from '@citycard/protocols';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate, readMigrations } from '../../backend/src/data/migrate.js';

/** Ed25519 seed 00 01 … 1F, as PKCS#8 DER. */
export const TEST_SIGNING_KEY = createPrivateKey({
  key: fromHex('302E020100300506032B657004220420 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F'),
  format: 'der',
  type: 'pkcs8',
});
export const TEST_PUBLIC_KEY = createPublicKey(TEST_SIGNING_KEY);
export const TEST_PUBLIC_KEY_RAW = fromHex('03A107BFF3CE10BE1D70DD18E74BC09967E4D6309BA50D5F1DDC8664125531B8');

/** An in-memory database with the hotlist and identity tables. */
export function hotlistDatabase(): Db {
  const db = openDatabase(':memory:');
  migrate(db, readMigrations().filter((m) => m.version >= 20 && m.version <= 29));
  return db;
}

/** A clock that moves only when told. */
export function fixedClock(iso: string): { now: () => Date; advance: (ms: number) => void } {
  let t = Date.parse(iso);
  return { now: () => new Date(t), advance: (ms) => { t += ms; } };
}
