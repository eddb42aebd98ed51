export * from './errors.js';
export * from './hotlist.js';
export * from './hotlistPublisher.js';
