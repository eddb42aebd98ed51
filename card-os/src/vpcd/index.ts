export * from './vpcdFrame.js';
export * from './vpcdMessage.js';
export * from './vpcdLog.js';
export * from './vpcdAdapter.js';
