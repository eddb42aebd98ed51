/**
 * A terminal's upload key, as a short story (`registerUploadKey`): the terminal, already
 * authenticated by its credential, shows it holds the private half by signing
 * { terminal, publicKey, issuedAt } (docs/upload.md). The proof must be fresh (issuedAt within
 * {@link PROOF_WINDOW_MS} of the server clock) and newer than the proof of the key it replaces, so
 * an old proof cannot be replayed to roll the key back. A new or replaced key is audited; the
 * same key again changes nothing.
 */
import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { UploadKeyRepository } from '../../data/uploadInboxRepository.js';
import type { AuditSink } from '../audit/auditSink.js';
import { UploadKeyInUseError, UploadKeyProofError, UploadKeyProofStaleError } from './errors.js';
import type { UploadKeyProof, UploadKeyView } from './uploadSchemas.js';
import { KEY_PROOF_CONTEXT, publicKeyFromHex, signatureValid, signingDigest } from './uploadSigning.js';

/** How far a proof's issuedAt may be from the server clock, either way. */
export const PROOF_WINDOW_MS = 5 * 60_000;

export interface UploadKeysDeps {
  readonly db: Database;
  readonly audit: AuditSink;
  readonly clock: () => Date;
}

/**
 * Registers (or replaces) the terminal's upload key.
 * @throws UploadKeyProofError (bad signature or key), UploadKeyProofStaleError (issuedAt outside
 *   the window or not newer than the registered key's proof), UploadKeyInUseError (another terminal's key).
 */
export function registerUploadKey(deps: UploadKeysDeps, terminalNumber: string, proof: UploadKeyProof): UploadKeyView {
  const now = deps.clock();
  const key = publicKeyFromHex(proof.publicKey);
  const digest = signingDigest(KEY_PROOF_CONTEXT, { terminal: terminalNumber, publicKey: proof.publicKey, issuedAt: proof.issuedAt });
  if (key === undefined || !signatureValid(key, digest, proof.signature)) throw new UploadKeyProofError();
  if (Math.abs(Date.parse(proof.issuedAt) - now.getTime()) > PROOF_WINDOW_MS) {
    throw new UploadKeyProofStaleError(`issuedAt must be within ${PROOF_WINDOW_MS / 60_000} minutes of the server time ${now.toISOString()}`);
  }
  const keys = new UploadKeyRepository(deps.db);
  return deps.db.transaction((): UploadKeyView => {
    const current = keys.find(terminalNumber);
    if (current?.publicKey === proof.publicKey) {
      return { terminal: terminalNumber, alg: 'Ed25519', publicKey: current.publicKey, registeredAt: current.registeredAt, changed: false };
    }
    if (current !== undefined && Date.parse(proof.issuedAt) <= Date.parse(current.proofIssuedAt)) {
      throw new UploadKeyProofStaleError('issuedAt is not newer than the proof of the registered key');
    }
    const owner = keys.ownerOf(proof.publicKey);
    if (owner !== undefined && owner !== terminalNumber) throw new UploadKeyInUseError();
    const registeredAt = now.toISOString();
    keys.put({ terminalNumber, publicKey: proof.publicKey, proofIssuedAt: proof.issuedAt, registeredAt });
    deps.audit.record({
      at: registeredAt,
      actor: `terminal:${terminalNumber}`,
      action: current === undefined ? 'terminal.upload-key.register' : 'terminal.upload-key.replace',
      target: terminalNumber,
      // Fingerprints, not keys: the audit log names what changed without carrying key material.
      details: { fingerprint: uploadKeyFingerprint(proof.publicKey), ...(current === undefined ? {} : { previousFingerprint: uploadKeyFingerprint(current.publicKey) }) },
    });
    return { terminal: terminalNumber, alg: 'Ed25519', publicKey: proof.publicKey, registeredAt, changed: true };
  }).immediate();
}

/** First 8 bytes of SHA-256 over the raw 32-byte key, upper-case hex: enough to tell keys apart in the audit log. */
export function uploadKeyFingerprint(publicKeyHex: string): string {
  return createHash('sha256').update(Buffer.from(publicKeyHex, 'hex')).digest('hex').slice(0, 16).toUpperCase();
}
