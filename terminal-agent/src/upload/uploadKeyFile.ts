/**
 * The terminal's upload key pair: an Ed25519 private key in PKCS#8 PEM, `upload-key.pem` in the
 * terminal's data directory, readable by its owner only (0600). Created on first use; the public
 * half is registered with the backend (`registerUploadKey`). The key is never logged.
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519PublicKeyToRaw, toHex } from '@citycard/protocols';
import { UploadKeyFileError } from './uploadErrors.js';

export const UPLOAD_KEY_FILE = 'upload-key.pem';

export interface UploadKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Raw 32-byte public key, upper-case hex, as the backend registers it. */
  readonly publicKeyHex: string;
}

/**
 * Loads `DIR/upload-key.pem`, or creates it (0600, directory 0700) when absent. `created` tells which.
 * @throws UploadKeyFileError when the file is not an Ed25519 private key, when (POSIX) group or
 *   others have any access to it, or (fs error in `cause`) when it cannot be created; the fs
 *   error itself when an existing file cannot be read.
 */
export function loadOrCreateUploadKey(dataDir: string): UploadKeyPair & { readonly created: boolean } {
  const file = join(dataDir, UPLOAD_KEY_FILE);
  try {
    return { ...readKey(file), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = String(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // O_EXCL: of two processes starting together, one creates and the other reads its key.
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, pem);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { ...readKey(file), created: false };
    throw new UploadKeyFileError(`cannot create the upload key ${UPLOAD_KEY_FILE}`, { cause: err });
  }
  return { ...pair(privateKey), created: true };
}

/** @throws UploadKeyFileError as {@link loadOrCreateUploadKey}; the fs error (ENOENT) when absent. */
function readKey(file: string): UploadKeyPair {
  const mode = statSync(file).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new UploadKeyFileError(`${UPLOAD_KEY_FILE} may be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
  }
  const pem = readFileSync(file);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new UploadKeyFileError(`${UPLOAD_KEY_FILE} is not a PEM private key`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UploadKeyFileError(`${UPLOAD_KEY_FILE} is not an Ed25519 key`);
  return pair(key);
}

function pair(privateKey: KeyObject): UploadKeyPair {
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyHex: toHex(ed25519PublicKeyToRaw(publicKey)) };
}
