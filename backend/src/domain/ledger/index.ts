export {
  BANK_ACCOUNT,
  FEES_ACCOUNT,
  TRANSIT_ACCOUNT,
  floatAccount,
  normalSign,
  payableAccount,
  type Account,
  type AccountRole,
  type AccountType,
} from './accounts.js';
export { InvalidPostingError, LedgerConflictError, LedgerMissingError } from './errors.js';
export {
  MAX_FEE_BPS,
  MAX_POSTING_FEN,
  feeOf,
  journalLinesOf,
  postingOf,
  transferPostingOf,
  type CardTransferRequest,
  type EntryKind,
  type JournalLine,
  type Posting,
  type PostingKind,
  type PostingRequest,
  type PostResult,
} from './posting.js';
export { Ledger, type MerchantTotals } from './ledger.js';
export type { LedgerEntry } from '../../data/ledgerRepository.js';
export {
  REPORT_LIST_LIMIT,
  checkConservation,
  checkLedgerFile,
  formatConservationReport,
  runLedgerCheck,
  type ConservationReport,
} from './conservation.js';
export {
  replacementTransferKey,
  transferReplacementBalances,
  type ReplacementTransferDeps,
  type ReplacementTransferOutcome,
  type ReplacementTransferResult,
} from './replacementTransfers.js';
