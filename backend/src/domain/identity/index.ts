export * from './errors.js';
export * from './lookups.js';
export * from './assertion.js';
export * from './identityVerification.js';
export * from './nonceStore.js';
export * from './noncePurge.js';
