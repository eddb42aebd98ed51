/**
 * The EP application's four card keys (spec §4.1), diversified from the issuer's master keys by
 * the card number: DPK (purchase), DLK (load), DTK (TAC), DAMK (application maintenance). Each is
 * stored as key version (1) ‖ 2-key 3DES key (16) under `df/<EP AID>/key/<NAME>`, so the test
 * profile and the secured PUT KEY (key ids 01 to 04 of docs/personalization.md) write the same
 * bytes. No command reads a key out.
 */
import { secretKeyKey } from '../../fs/storeKeys.js';
import type { StoreTransaction } from '../../runtime/transaction.js';
import type { PersistentStore } from '../../storage/index.js';
import { corruptValue } from './epErrors.js';
import { EP_AID_HEX } from './epStore.js';

export type EpKeyName = 'DPK' | 'DLK' | 'DTK' | 'DAMK';

export const EP_KEY_NAMES: readonly EpKeyName[] = ['DPK', 'DLK', 'DTK', 'DAMK'];

/** Key ids of PUT KEY (docs/personalization.md §3) for each card key. */
export const EP_KEY_ID: Readonly<Record<EpKeyName, number>> = { DPK: 0x01, DLK: 0x02, DTK: 0x03, DAMK: 0x04 };

/** The key index INITIALIZE commands name (spec §4): the card holds one key of each kind. */
export const EP_KEY_INDEX = 0x01;
/** Algorithm id of the spec's 3DES suite. */
export const EP_ALG_ID = 0x00;
/** Bytes of a card key. */
export const EP_KEY_LENGTH = 16;
const STORED_LENGTH = 1 + EP_KEY_LENGTH;

export interface EpKey {
  /** Key version as personalized, 1 to 255. */
  readonly version: number;
  /** 16-byte 2-key 3DES key. */
  readonly key: Buffer;
}

/** Store key of the card key `name`. */
export function epKeyStoreKey(name: EpKeyName): string {
  return secretKeyKey(EP_AID_HEX, name);
}

/** Key version ‖ key, as stored. Throws `RangeError` for a version outside 1 to 255 or a key that is not 16 bytes. */
export function encodeEpKey(version: number, key: Uint8Array): Buffer {
  if (!Number.isInteger(version) || version < 1 || version > 0xff) {
    throw new RangeError(`key version must be 1 to 255, got ${version}`);
  }
  if (key.length !== EP_KEY_LENGTH) throw new RangeError(`an EP key is ${EP_KEY_LENGTH} bytes, got ${key.length}`);
  const out = Buffer.allocUnsafe(STORED_LENGTH);
  out[0] = version;
  out.set(key, 1);
  return out;
}

/** Stage the card key `name`. Throws `RangeError` as {@link encodeEpKey}. */
export function stageEpKey(tx: StoreTransaction, name: EpKeyName, version: number, key: Uint8Array): void {
  tx.set(epKeyStoreKey(name), encodeEpKey(version, key));
}

/**
 * The card key `name`, or undefined when it was never personalized (the purse answers `9403`).
 * Throws `CardError` `6581` for a stored value of the wrong shape.
 */
export function storedEpKey(store: PersistentStore, name: EpKeyName): EpKey | undefined {
  const storeKey = epKeyStoreKey(name);
  const value = store.get(storeKey);
  if (value === undefined) return undefined;
  if (value.length !== STORED_LENGTH || value[0] === 0) throw corruptValue(storeKey);
  return { version: value[0]!, key: value.subarray(1) };
}
