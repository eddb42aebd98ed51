/**
 * The backend public keys a terminal accepts hotlist messages from: pinned in its configuration,
 * never learned from the backend's unauthenticated `GET /api/v1/hotlist/public-key` (whoever can
 * answer for the backend could then sign the list). More than one key is trusted during a key
 * rotation (docs/hotlist.md, "At the terminal").
 */
import type { KeyObject } from 'node:crypto';
import {
  HotlistMessageError,
  type HotlistMessage,
  ed25519PublicKeyFromRaw,
  fromHex,
  verifyHotlistMessage,
} from '@citycard/protocols';
import { HotlistRejectedError } from './hotlistErrors.js';

/** A raw 32-byte Ed25519 public key, the same as 64 hex characters, or a KeyObject. */
export type TrustedKeyInput = Uint8Array | string | KeyObject;

/**
 * The keys as KeyObjects, in order. Throws `RangeError` for an empty list or a raw key that is
 * not 32 bytes, `TypeError` for bad hex or a KeyObject that is not an Ed25519 public key.
 */
export function trustedKeys(keys: readonly TrustedKeyInput[]): readonly KeyObject[] {
  if (keys.length === 0) throw new RangeError('at least one trusted hotlist key is needed');
  return keys.map((key) => {
    const object = typeof key === 'string' ? ed25519PublicKeyFromRaw(fromHex(key)) : key instanceof Uint8Array ? ed25519PublicKeyFromRaw(key) : key;
    if (object.type !== 'public' || object.asymmetricKeyType !== 'ed25519') throw new TypeError('a trusted hotlist key must be an Ed25519 public key');
    return object;
  });
}

/**
 * The message in `bytes` if one of `keys` signed it. Throws `HotlistRejectedError`
 * `SIGNATURE_INVALID` when none did (bad signature or a foreign key), `MALFORMED` for bytes that
 * are not a hotlist message.
 */
export function verifyWithTrustedKeys(bytes: Uint8Array, keys: readonly KeyObject[]): HotlistMessage {
  let last: unknown;
  for (const key of keys) {
    try {
      return verifyHotlistMessage(bytes, key);
    } catch (err) {
      if (!(err instanceof HotlistMessageError)) throw err;
      if (err.reason !== 'SIGNATURE_INVALID') throw new HotlistRejectedError(err.reason, err.message, { cause: err });
      last = err;
    }
  }
  throw new HotlistRejectedError('SIGNATURE_INVALID', `the hotlist message is signed by none of the ${keys.length} trusted key(s)`, { cause: last });
}
