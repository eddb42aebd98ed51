export * from './riskPolicy.js';
export * from './offlineRiskPolicy.js';
