export * from './errors.js';
export * from './terminal.js';
export * from './terminalCredential.js';
export * from './terminalRegistry.js';
