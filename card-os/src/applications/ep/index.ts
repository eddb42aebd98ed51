/** The EP (electronic purse) application: definition, store layout, file codecs, personalization staging. */
export { EP_FCI_ISSUER_TAG, EP_INS, epApplication } from './epApplication.js';
export { EP_ISSUER_EF, EP_LIMITS_EF, EP_LOG_EF } from './epFiles.js';
export {
  EP_AID,
  EP_AID_HEX,
  EP_DF_FID,
  EP_ISSUER_EF_FID,
  EP_ISSUER_KEY,
  EP_LIFECYCLE,
  EP_LIFECYCLE_KEY,
  EP_LIMITS_EF_FID,
  EP_LIMITS_KEY,
  EP_LOG_EF_FID,
  EP_LOG_KEY,
  EP_PURSE_KEY,
  EP_SFI,
  EP_MAX_AMOUNT,
  EP_MAX_COUNTER,
  PURSE_RECORD_LENGTH,
  decodePurseState,
  encodePurseState,
  isEpPersonalized,
  storedEpLifecycle,
  storedPurseState,
} from './epStore.js';
export type { EpLifecycle, PurseState } from './epStore.js';
export {
  EP_ALG_ID,
  EP_KEY_ID,
  EP_KEY_INDEX,
  EP_KEY_LENGTH,
  EP_KEY_NAMES,
  encodeEpKey,
  epKeyStoreKey,
  stageEpKey,
  storedEpKey,
} from './epKeys.js';
export type { EpKey, EpKeyName } from './epKeys.js';
export { EpDataError } from './epErrors.js';
export { EP_APP_TYPE, EP_ISSUER_DATA_LENGTH, decodeEpIssuerData, encodeEpIssuerData } from './issuerData.js';
export type { EpIssuerData } from './issuerData.js';
export { EP_LIMITS_LENGTH, decodePurseLimits, encodePurseLimits, storedPurseLimits } from './purseLimits.js';
export type { PurseLimits } from './purseLimits.js';
export { EP_LOG_RECORD_LENGTH, EP_LOG_RECORDS, decodeEpLogRecord, encodeEpLogRecord } from './logRecord.js';
export type { EpLogRecord } from './logRecord.js';
export { EP_PROOFS_KEPT, epProofsKey, storedEpProof } from './transactionProofs.js';
export type { EpTransactionProof } from './transactionProofs.js';
export type { EpState, EpPendingLoad, EpPendingPurchase, EpPendingTransaction } from './epSession.js';
export { stageEpActivation, stageEpPersonalization } from './epPersonalization.js';
export type { EpPersonalization } from './epPersonalization.js';
