/**
 * The ID application's card key: RSA-2048, generated on the card at personalization. The private
 * key is stored as PKCS#8 DER under `df/<AID>/key/auth` and no command reads it out; only the
 * public key (SPKI DER) leaves the card OS, for the city CA to certify.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, constants, type KeyObject } from 'node:crypto';
import type { PersistentStore } from '../../storage/index.js';
import type { StoreTransaction } from '../../runtime/transaction.js';

export const CARD_KEY_BITS = 2048;
/** Bytes of an RSA-2048 signature. */
export const CARD_SIGNATURE_LENGTH = CARD_KEY_BITS / 8;

// Parsing PKCS#8 costs more than the lookup; the store hands out the same Buffer until it changes.
const parsed = new WeakMap<Buffer, KeyObject>();

/** Generate a fresh key pair, stage the private key under `storeKey`, return the public key (SPKI DER). */
export function generateCardKey(tx: StoreTransaction, storeKey: string): Buffer {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: CARD_KEY_BITS, publicExponent: 0x10001 });
  tx.set(storeKey, privateKey.export({ type: 'pkcs8', format: 'der' }));
  return publicKey.export({ type: 'spki', format: 'der' });
}

/** The public key (SPKI DER) of the key under `storeKey`, or undefined when there is none. */
export function cardPublicKey(store: PersistentStore, storeKey: string): Buffer | undefined {
  const key = privateKeyAt(store, storeKey);
  return key === undefined ? undefined : createPublicKey(key).export({ type: 'spki', format: 'der' });
}

/**
 * RSASSA-PKCS1-v1_5 with SHA-256 over `message` with the key under `storeKey`: 256 bytes, or
 * undefined when there is no key. Throws what node:crypto throws for a damaged stored key.
 */
export function signWithCardKey(store: PersistentStore, storeKey: string, message: Uint8Array): Buffer | undefined {
  const key = privateKeyAt(store, storeKey);
  if (key === undefined) return undefined;
  return sign('sha256', message, { key, padding: constants.RSA_PKCS1_PADDING });
}

function privateKeyAt(store: PersistentStore, storeKey: string): KeyObject | undefined {
  const der = store.get(storeKey);
  if (der === undefined) return undefined;
  let key = parsed.get(der);
  if (key === undefined) {
    key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    parsed.set(der, key);
  }
  return key;
}
