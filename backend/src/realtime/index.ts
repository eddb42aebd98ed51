export * from './redisHotlistPublisher.js';
export * from './hotlistFanout.js';
export * from './hotlistSse.js';
