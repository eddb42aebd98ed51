export * from './hotlistErrors.js';
export * from './hotlistHttp.js';
export * from './hotlistStore.js';
export * from './hotlistSync.js';
export * from './sseParser.js';
export * from './trustedKeys.js';
