/**
 * A test city CA kept in a directory: created on first use, reused afterwards, so every card a
 * demo personalizes chains to the same CA. For tests and demos only; a real CA key lives in an HSM.
 *
 * Files: `city-ca.crt.pem` (certificate) and `city-ca.key.pem` (PKCS#8 key, mode 0600). Each is
 * written to a temporary file and renamed into place, the key first; a directory holding only
 * the key (creation interrupted) gets a new CA.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCityCa, type CityCa, type CreateCityCaOptions } from './cityCa.js';
import { CaDirectoryError } from './errors.js';

export const TEST_CA_CERTIFICATE_FILE = 'city-ca.crt.pem';
export const TEST_CA_KEY_FILE = 'city-ca.key.pem';

/**
 * The CA stored in `dir`, or a new one (made with `options`) stored there when the directory
 * has none. Throws `CaDirectoryError` (with the cause) when the files exist but cannot be read,
 * do not parse, or the key does not belong to the certificate; errors of `fs` when the directory
 * cannot be created or written.
 */
export function loadOrCreateTestCa(dir: string, options: CreateCityCaOptions = {}): CityCa {
  const certPath = join(dir, TEST_CA_CERTIFICATE_FILE);
  const keyPath = join(dir, TEST_CA_KEY_FILE);
  if (existsSync(certPath)) return loadCa(dir, certPath, keyPath);
  const ca = createCityCa(options);
  mkdirSync(dir, { recursive: true });
  writeAtomically(keyPath, ca.privateKeyPem, 0o600);
  writeAtomically(certPath, ca.certificatePem, 0o644);
  return ca;
}

function loadCa(dir: string, certPath: string, keyPath: string): CityCa {
  let ca: CityCa;
  try {
    ca = { certificatePem: readFileSync(certPath, 'utf8'), privateKeyPem: readFileSync(keyPath, 'utf8') };
  } catch (err) {
    throw new CaDirectoryError('cannot read the test CA files', dir, { cause: err });
  }
  let matches: boolean;
  try {
    matches = new X509Certificate(ca.certificatePem).checkPrivateKey(createPrivateKey(ca.privateKeyPem));
  } catch (err) {
    throw new CaDirectoryError('the test CA files do not parse', dir, { cause: err });
  }
  if (!matches) throw new CaDirectoryError('the test CA key does not match its certificate', dir);
  return ca;
}

function writeAtomically(path: string, text: string, mode: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}
