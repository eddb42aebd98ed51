/** The terminal's purse flows: online load, offline purchase, torn-transaction recovery, blocking. */
export * from './custodianPorts.js';
export * from './purseTrail.js';
export * from './purseRecords.js';
export * from './purseOutcomes.js';
export * from './tacRequests.js';
export { loadOnline, checkLoadTac, CREDIT_REFUSALS, type LoadContext, type LoadRequest } from './loadOnline.js';
export { purchaseOffline, openPsamSlot, DEBIT_REFUSALS, type PurchaseContext, type PurchaseRequest } from './purchaseOffline.js';
export {
  recoverPurchase,
  recoverLoad,
  recoverTornTransaction,
  type RecoveryContext,
  type LoadRecoveryContext,
} from './recovery.js';
export { blockHotlistedCard, type BlockContext } from './blockHotlistedCard.js';
