/**
 * Ed25519 signing and verification of hotlist messages with node:crypto. The backend holds the
 * private key; terminals hold the 32-byte raw public key.
 */
import { type KeyObject, createPublicKey, sign, verify } from 'node:crypto';
import { HotlistMessageError } from './errors.js';
import { HOTLIST_SIGNATURE_LENGTH, type HotlistMessage, encodeHotlistBody, parseHotlistMessage } from './hotlistMessage.js';

/** Length of a raw Ed25519 public key. */
export const ED25519_PUBLIC_KEY_LENGTH = 32;

/** Encode and sign `message`. Throws as `encodeHotlistBody`, or `TypeError` if the key is not Ed25519. */
export function signHotlistMessage(message: HotlistMessage, privateKey: KeyObject): Buffer {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('the hotlist signing key must be Ed25519');
  const body = encodeHotlistBody(message);
  return Buffer.concat([body, sign(null, body, privateKey)]);
}

/**
 * Parse `bytes` and check the backend's signature. `publicKey` is a KeyObject or the raw 32-byte
 * Ed25519 key. Throws `HotlistMessageError` `MALFORMED` or `SIGNATURE_INVALID`; `TypeError` for a
 * key that is not Ed25519.
 */
export function verifyHotlistMessage(bytes: Uint8Array, publicKey: KeyObject | Uint8Array): HotlistMessage {
  const key = publicKey instanceof Uint8Array ? ed25519PublicKeyFromRaw(publicKey) : publicKey;
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('the hotlist verification key must be Ed25519');
  // The signature is checked before the parse so unsigned bytes never reach the entry decoder;
  // the length check guards the split.
  const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (all.length < HOTLIST_SIGNATURE_LENGTH) throw new HotlistMessageError('MALFORMED', 'hotlist message: shorter than a signature');
  const body = all.subarray(0, all.length - HOTLIST_SIGNATURE_LENGTH);
  if (!verify(null, body, key, all.subarray(all.length - HOTLIST_SIGNATURE_LENGTH))) {
    throw new HotlistMessageError('SIGNATURE_INVALID', 'the hotlist message is not signed by the backend key');
  }
  return parseHotlistMessage(all).message;
}

/** A KeyObject for a raw Ed25519 public key. Throws `RangeError` unless it is 32 bytes. */
export function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_PUBLIC_KEY_LENGTH) throw new RangeError(`an Ed25519 public key is 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** The raw 32-byte form of an Ed25519 public key. Throws `TypeError` for another key type. */
export function ed25519PublicKeyToRaw(key: KeyObject): Buffer {
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('not an Ed25519 key');
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url');
}
