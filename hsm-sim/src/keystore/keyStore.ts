/**
 * Keys at rest: one SQLite row per (label, version), the value sealed under the LMK with the
 * key's attributes as AAD (editing `usage` or `exportable` in the file makes the key unreadable).
 * Clear values exist only in memory, for the duration of one command.
 */
import { HsmKeyError, HsmRequestError } from '../errors.js';
import { type HsmDatabase } from './database.js';
import {
  KEY_LABEL_PATTERN,
  type KeyInfo,
  type KeyKind,
  type KeyUsage,
  MAX_KEY_VERSION,
  MIN_KEY_VERSION,
  keyAad,
  keyRef,
} from './keyRecord.js';
import { type LmkCipher } from './lmkCipher.js';

interface KeyRow {
  label: string;
  version: number;
  kind: string;
  usage: string;
  exportable: number;
  kcv: string;
  sealed: Buffer;
  created_at: string;
}

/** Throws `HsmRequestError` on a malformed label or a version outside 1 to 255. */
export function checkKeyId(label: string, version: number): void {
  if (!KEY_LABEL_PATTERN.test(label)) throw new HsmRequestError(`invalid key label "${label.slice(0, 40)}"`);
  if (!Number.isInteger(version) || version < MIN_KEY_VERSION || version > MAX_KEY_VERSION) {
    throw new HsmRequestError(`key version must be ${MIN_KEY_VERSION} to ${MAX_KEY_VERSION}, got ${version}`);
  }
}

function toInfo(row: KeyRow): KeyInfo {
  return {
    label: row.label,
    version: row.version,
    kind: row.kind as KeyKind,
    usage: row.usage as KeyUsage,
    exportable: row.exportable === 1,
    kcv: row.kcv,
    createdAt: row.created_at,
  };
}

export class KeyStore {
  readonly #db: HsmDatabase;
  readonly #cipher: LmkCipher;
  readonly #select;
  readonly #insert;

  constructor(db: HsmDatabase, cipher: LmkCipher) {
    this.#db = db;
    this.#cipher = cipher;
    this.#select = db.prepare<[string, number], KeyRow>('SELECT * FROM keys WHERE label = ? AND version = ?');
    this.#insert = db.prepare(
      'INSERT INTO keys (label, version, kind, usage, exportable, kcv, sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Whether (label, version) exists. */
  has(label: string, version: number): boolean {
    return this.#select.get(label, version) !== undefined;
  }

  /** Attributes of a key. Throws `HsmKeyError` (KEY_NOT_FOUND) when absent. */
  info(label: string, version: number): KeyInfo {
    return toInfo(this.#row(label, version));
  }

  /** All keys' attributes, by label then version. */
  list(): KeyInfo[] {
    return this.#db.prepare<[], KeyRow>('SELECT * FROM keys ORDER BY label, version').all().map(toInfo);
  }

  /**
   * Seals and stores a key. Throws `HsmRequestError` on a malformed id and `HsmKeyError`
   * (KEY_EXISTS) when (label, version) is taken: keys are never overwritten.
   */
  put(info: Omit<KeyInfo, 'createdAt'>, value: Uint8Array, createdAt: Date): KeyInfo {
    checkKeyId(info.label, info.version);
    if (this.has(info.label, info.version)) {
      throw new HsmKeyError('KEY_EXISTS', `key ${keyRef(info.label, info.version)} already exists`);
    }
    const sealed = this.#cipher.seal(value, keyAad(info));
    const at = createdAt.toISOString();
    this.#insert.run(info.label, info.version, info.kind, info.usage, info.exportable ? 1 : 0, info.kcv, sealed, at);
    return { ...info, createdAt: at };
  }

  /**
   * The clear value and attributes of a key, checked against the usage and kind the caller needs.
   * The caller overwrites `value` when done. Throws `HsmKeyError`: KEY_NOT_FOUND, or KEY_USAGE when
   * the key is of another usage or kind; `HsmStoreError` when the sealed value fails authentication.
   */
  reveal(label: string, version: number, usage: KeyUsage, kind: KeyKind = 'des2'): { info: KeyInfo; value: Buffer } {
    const row = this.#row(label, version);
    const info = toInfo(row);
    if (info.usage !== usage || info.kind !== kind) {
      throw new HsmKeyError('KEY_USAGE', `key ${keyRef(label, version)} is a ${info.kind} ${info.usage} key, not a ${kind} ${usage} key`);
    }
    return { info, value: this.#cipher.open(row.sealed, keyAad(info)) };
  }

  /** Like {@link reveal} for any usage; for commands that act on a key whatever it is (export). */
  revealAny(label: string, version: number): { info: KeyInfo; value: Buffer } {
    const row = this.#row(label, version);
    const info = toInfo(row);
    return { info, value: this.#cipher.open(row.sealed, keyAad(info)) };
  }

  #row(label: string, version: number): KeyRow {
    checkKeyId(label, version);
    const row = this.#select.get(label, version);
    if (row === undefined) throw new HsmKeyError('KEY_NOT_FOUND', `no key ${keyRef(label, version)}`);
    return row;
  }
}
