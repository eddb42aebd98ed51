/**
 * Registers the terminal's upload key with the backend: PUT /api/v1/terminal/self/upload-key
 * with a fresh proof of possession (docs/upload.md). Safe to repeat: the same key again changes
 * nothing; a new key replaces the old one (audited by the backend).
 */
import type { KeyObject } from 'node:crypto';
import { uploadKeyProof } from './batchSigning.js';
import { UploadClient, type UploadClientOptions, type UploadKeyRegistration } from './uploadClient.js';
import { credentialTerminal } from './terminalCredential.js';

export interface RegisterUploadKeyOptions extends UploadClientOptions {
  /** The terminal's Ed25519 private key (see loadOrCreateUploadKey). */
  readonly privateKey: KeyObject;
  /** The proof's issuedAt; the backend accepts 5 minutes either side of its clock. Default now. */
  readonly now?: Date;
  readonly signal?: AbortSignal;
}

/**
 * @throws RangeError for a malformed credential; TypeError for a key that is not Ed25519 private;
 *   UploadRejectedError (e.g. UPLOAD_KEY_PROOF_STALE when the clocks disagree, UPLOAD_KEY_IN_USE);
 *   UploadUnavailableError when the backend cannot be reached.
 */
export async function registerUploadKey(options: RegisterUploadKeyOptions): Promise<UploadKeyRegistration> {
  const proof = uploadKeyProof(credentialTerminal(options.credential), options.privateKey, options.now ?? new Date());
  return new UploadClient(options).putUploadKey(proof, options.signal);
}
