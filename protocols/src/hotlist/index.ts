export * from './errors.js';
export * from './hotlistMessage.js';
export * from './hotlistSignature.js';
export * from './hotlistState.js';
