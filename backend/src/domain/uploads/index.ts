export * from './errors.js';
export * from './uploadSchemas.js';
export { BATCH_CONTEXT, KEY_PROOF_CONTEXT, canonicalJson, recordDigest, signingDigest } from './uploadSigning.js';
export { PROOF_WINDOW_MS, registerUploadKey, uploadKeyFingerprint, type UploadKeysDeps } from './uploadKeys.js';
export { receiveBatch, type ReceiveBatchDeps } from './receiveBatch.js';
