/**
 * The backend's Ed25519 signing keys, kept as PKCS#8 PEM files (mode 0600) in the data directory
 * and created on first use. The public half is what terminals and services are given. The
 * hotlist key can be rotated by a dual-control key ceremony ({@link SigningKeyHolder}).
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
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

/**
 * Writes `privateKey` to `DIR/fileName.TAG.tmp` (mode 0600, flushed to disk) and returns the
 * function that moves it over `DIR/fileName` (an atomic rename: a crash leaves the old or the new
 * key, never half a file) and the one that discards it. Throws the file system's error.
 */
export function stageSigningKeyFile(dataDir: string, fileName: string, privateKey: KeyObject): { commit(): void; discard(): void } {
  const path = join(dataDir, fileName);
  const staged = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(staged, 'wx', 0o600);
  try {
    writeSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return {
    commit: () => renameSync(staged, path),
    discard: () => rmSync(staged, { force: true }),
  };
}

/** A prepared rotation used twice, or after it was aborted (a programming error). */
export class KeyRotationStateError extends Error {
  override readonly name = 'KeyRotationStateError';
}

/** A rotation made ready by {@link SigningKeyHolder.prepareRotation}: nothing changed until `commit`. */
export interface PreparedRotation {
  /** The public half of the key that `commit` puts in use. */
  readonly publicKey: KeyObject;
  /**
   * Persists the new key (when the holder persists) and signs with it from now on. Throws the
   * file system's error, or `KeyRotationStateError` when already committed or aborted.
   */
  commit(): void;
  /** Forgets the new key. */
  abort(): void;
}

/**
 * The signing key in use, replaceable at run time by a key ceremony. Readers take `current` for
 * each signature, so a rotation applies to the next message. With a data directory the new key
 * replaces the file; the old private key is not kept anywhere.
 */
export class SigningKeyHolder {
  #current: SigningKeyPair;
  readonly #file;

  /** `file` absent: the key lives in memory only (in-memory database, tests). */
  constructor(initial: SigningKeyPair, file?: { readonly dataDir: string; readonly fileName: string }) {
    this.#current = initial;
    this.#file = file;
  }

  get current(): SigningKeyPair {
    return this.#current;
  }

  /** Makes a new Ed25519 key and stages it; throws the file system's error. */
  prepareRotation(): PreparedRotation {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const staged = this.#file === undefined ? undefined : stageSigningKeyFile(this.#file.dataDir, this.#file.fileName, privateKey);
    let open = true;
    return {
      publicKey,
      commit: () => {
        if (!open) throw new KeyRotationStateError('this rotation is already committed or aborted');
        open = false;
        staged?.commit();
        this.#current = { privateKey, publicKey };
      },
      abort: () => {
        if (!open) return;
        open = false;
        staged?.discard();
      },
    };
  }
}
