export * from './backoff.js';
export * from './batchSigning.js';
export * from './batchUploader.js';
export * from './registerUploadKey.js';
export * from './terminalCredential.js';
export * from './uploadClient.js';
export * from './uploadErrors.js';
export * from './uploadKeyFile.js';
export type * from './uploadOutbox.js';
