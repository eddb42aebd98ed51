import { createHash } from 'node:crypto';

/** prevHash of the first entry: 64 hex zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed fields of an entry, in their stored form. */
export interface HashedFields {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string | null;
  readonly details: string;
  readonly prevHash: string;
}

/**
 * Hex SHA-256 over the canonical encoding of an entry: a JSON array with a version tag and every
 * field in a fixed order. JSON string escaping makes the encoding unambiguous (no field can spill
 * into its neighbour), and seq is inside, so moving an entry to another position breaks its hash.
 */
export function auditEntryHash(f: HashedFields): string {
  const encoding = JSON.stringify(['citycard-audit-v1', f.seq, f.at, f.actor, f.action, f.subject, f.details, f.prevHash]);
  return createHash('sha256').update(encoding, 'utf8').digest('hex');
}
