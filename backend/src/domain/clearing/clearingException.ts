/** The exceptions clearing raises for review, and who resolves them. */

export const EXCEPTION_KINDS = [
  'BAD_TAC',
  'DUPLICATE',
  'COUNTER_GAP',
  'TTSN_GAP',
  'CLONE',
  'BALANCE_MISMATCH',
  'HOTLISTED_AFTER_BLOCK',
] as const;

/**
 * - BAD_TAC: the TAC did not verify (or the record could not be checked); never posted.
 * - DUPLICATE: the transaction of an earlier row again (not posted), or a TTSN the PSAM issued
 *   twice to different card transactions (posted, `details.posted` true).
 * - COUNTER_GAP: offline (purchase) or online (load) counters of a card missing before a counter.
 * - TTSN_GAP: TTSNs of a PSAM missing between two it is known to have issued.
 * - CLONE: another transaction under a card counter already posted; the card is flagged and hotlisted.
 * - BALANCE_MISMATCH: the record's balance before is not where the card's chain stands.
 * - HOTLISTED_AFTER_BLOCK: posted, but the card was on the hotlist at the record's time.
 */
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

export type ExceptionStatus = 'open' | 'resolved' | 'refunded';

/** `resolved_by` of what clearing closes itself (a gap filled, a mismatch explained). */
export const AUTO_RESOLVER = 'clearing';
