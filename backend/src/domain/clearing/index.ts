export { clearInboxRows, type ClearingSummary } from './clearInboxRows.js';
export { AUTO_RESOLVER, EXCEPTION_KINDS, type ExceptionKind, type ExceptionStatus } from './clearingException.js';
export { ClearingOrderError, InvalidFeeError, TacVerificationError, UnknownMerchantError } from './errors.js';
export { DEFAULT_FEE_BPS, type ClearingDeps, type ClearingLedger, type ClonesHotlister, type TacVerifier } from './ports.js';
export { CHAIN_START, replayChain, type ChainRecord, type ChainState, type ChainStep } from './balanceChain.js';
export { loadTacCheckOf, purchaseTacCheckOf } from './tacChecks.js';
export { DEFAULT_TIME_ZONE, WallClock } from './wallClock.js';
export { merchantFee, setMerchantFee } from './merchantFees.js';
