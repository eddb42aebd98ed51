/**
 * The backend's Ed25519 signing keys, kept as PKCS#8 PEM files (mode 0600) in the data directory
 * and created on first use. The public half is what terminals and services are given.
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File of the key that signs hotlist messages. */
export const HOTLIST_SIGNING_KEY_FILE = 'hotlist-signing-key.pem';

export interface SigningKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A key file that exists but is not an Ed25519 private key. */
export class SigningKeyFileError extends Error {
  override readonly name = 'SigningKeyFileError';
}

/**
 * Loads `DIR/fileName`, or creates it (exclusively, so two starting processes cannot each write
 * their own) when absent. Throws `SigningKeyFileError` for a file that is not an Ed25519 key, or
 * the file system's error.
 */
export function loadOrCreateSigningKey(dataDir: string, fileName: string): SigningKeyPair {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, fileName);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErr;
    }
    pem = readFileSync(path, 'utf8');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new SigningKeyFileError(`${fileName} is not a private key`, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyFileError(`${fileName} is not an Ed25519 key`);
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
