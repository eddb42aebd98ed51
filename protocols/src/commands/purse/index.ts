/** The EP and PSAM command families (card interface spec §4-5); see each file's layout comment. */
export * from './purseCommon.js';
export * from './selectPurse.js';
export * from './epIssuerData.js';
export * from './epLimits.js';
export * from './epLogRecord.js';
export * from './initializeForLoad.js';
export * from './creditForLoad.js';
export * from './initializeForPurchase.js';
export * from './debitForPurchase.js';
export * from './getBalance.js';
export * from './getTransactionProof.js';
export * from './applicationBlock.js';
export * from './psamTerminalNumber.js';
export * from './psamMac1.js';
export * from './psamVerifyMac2.js';
export * from './psamMaintenanceMac.js';
