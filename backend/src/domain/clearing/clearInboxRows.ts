/**
 * Inbox rows become ledger postings or exceptions, as a short story (`clearInboxRows`;
 * docs/clearing-checks.md has every rule):
 *
 * 1. Rows cleared before are left alone. A conflict row (same natural key as an earlier row,
 *    other content) is decided against its earlier namesakes, so those still waiting are pulled
 *    into the call.
 * 2. Every TAC is checked by the HSM before anything is written: purchases in batches, loads
 *    through the HSM's load-TAC check.
 * 3. ONE synchronous transaction, rows by id: a bad TAC never posts; a namesake's transaction again
 *    is a DUPLICATE; another transaction under a posted card counter is a CLONE (the card is
 *    flagged); anything else posts, and is checked for counter and TTSN gaps, a card hotlisted
 *    before its time, and a TTSN issued twice. Then the balance chains of the touched cards are
 *    replayed, and the postings go to the ledger.
 * 4. Flagged cards go on the hotlist; a listing that fails is retried by the next call.
 *
 * Idempotent and order-independent: every verdict is a function of a row and its earlier
 * namesakes, and every gap and chain exception a function of the posted set.
 */
import { ClearingChainRepository } from '../../data/clearingChainRepository.js';
import { ClearingExceptionRepository } from '../../data/clearingExceptionRepository.js';
import { ClearingRepository } from '../../data/clearingRepository.js';
import type { InboxRecord } from '../../data/uploadInboxRepository.js';
import { addToCard } from './cardChains.js';
import { type ClearingRecord, isReadable, readClearingRecord } from './clearingRecord.js';
import { type RowContext, clearRow } from './clearRow.js';
import { InvalidFeeError, UnknownMerchantError } from './errors.js';
import { type ExceptionCounts, ExceptionWriter } from './exceptionWriter.js';
import { HotlistTimes, hotlistFlagged } from './hotlisting.js';
import { type ClearingDeps, DEFAULT_FEE_BPS } from './ports.js';
import { type TacVerdict, verifyTacs } from './tacChecks.js';
import { addTtsns } from './ttsnGaps.js';
import { WallClock } from './wallClock.js';

export interface ClearingSummary {
  /** Rows handed in (repeats counted once). */
  readonly rows: number;
  /** Earlier namesakes of conflict rows cleared with them. */
  readonly pulledIn: number;
  /** Rows an earlier call had cleared: left alone. */
  readonly alreadyCleared: number;
  /** Rows cleared now, by verdict: posted (inbox 'cleared') or not (inbox 'exception'). */
  readonly posted: number;
  readonly badTac: number;
  readonly duplicates: number;
  readonly clones: number;
  /** Exceptions this call opened (or opened again), by kind. */
  readonly opened: Readonly<ExceptionCounts>;
  /** Gaps filled and mismatches explained by this call's records, resolved by clearing. */
  readonly autoResolved: number;
  /** Cards put on the hotlist after this call, this call's clones and earlier retries. */
  readonly hotlisted: readonly string[];
  /** Flagged cards whose listing failed; the next call tries again. */
  readonly hotlistPending: number;
}

interface Repos {
  readonly clearing: ClearingRepository;
  readonly chains: ClearingChainRepository;
  readonly exceptions: ClearingExceptionRepository;
}

// Statements are prepared once per database, not per call.
const reposOf = new WeakMap<object, Repos>();
function repos(db: ClearingDeps['db']): Repos {
  let r = reposOf.get(db);
  if (r === undefined) {
    r = { clearing: new ClearingRepository(db), chains: new ClearingChainRepository(db), exceptions: new ClearingExceptionRepository(db) };
    reposOf.set(db, r);
  }
  return r;
}

/**
 * Clears inbox rows (any order, any batch, again and again): TAC checks first, then one
 * transaction with every check, posting, inbox status and exception, then hotlisting of clones.
 * @throws TacVerificationError (HSM unavailable), UnknownMerchantError (a purchase's terminal has
 *   no merchant), InvalidFeeError (defaultFeeBps out of range), ClearingOrderError, the ledger's
 *   errors: nothing is written when it throws. A hotlist failure does not throw (see hotlistPending).
 */
export async function clearInboxRows(deps: ClearingDeps, rows: readonly InboxRecord[]): Promise<ClearingSummary> {
  const { clearing, chains, exceptions } = repos(deps.db);
  const defaultFeeBps = deps.defaultFeeBps ?? DEFAULT_FEE_BPS;
  if (!Number.isInteger(defaultFeeBps) || defaultFeeBps < 0 || defaultFeeBps > 10_000) throw new InvalidFeeError(defaultFeeBps);
  const wallClock = new WallClock(deps.timeZone);

  const handedIn = new Map<number, InboxRecord>();
  for (const r of rows) handedIn.set(r.id, r);
  const todo = new Map<number, InboxRecord>();
  const clearedBefore = clearing.clearedAmong([...handedIn.keys()]);
  for (const r of handedIn.values()) if (!clearedBefore.has(r.id)) todo.set(r.id, r);
  const alreadyCleared = clearedBefore.size;
  const pulledIn = pullInNamesakes(clearing, todo);

  const records = [...todo.values()].sort((a, b) => a.id - b.id).map(readClearingRecord);
  const readable = records.filter(isReadable);
  const merchants = merchantsOf(deps, readable);
  const tacVerdicts = readable.length === 0 ? new Map<number, TacVerdict>() : await verifyTacs(deps.tacs, readable);

  const counts = { posted: 0, badTac: 0, duplicates: 0, clones: 0 };
  const clearedAt = deps.clock().toISOString();
  const writer = new ExceptionWriter(exceptions, clearedAt);
  deps.db
    .transaction(() => {
      const ctx: RowContext = {
        clearing,
        writer,
        clearedAt,
        wallClock,
        merchants,
        defaultFeeBps,
        postings: [],
        added: new Map(),
        ttsns: new Map(),
        hotlists: new HotlistTimes(clearing.hotlistHistories([...new Set(readable.map((r) => r.row.cardNumber))]), wallClock.timeZone),
        fees: new Map(),
      };
      // Another call may have cleared some while the TACs were being checked.
      const clearedMeanwhile = clearing.clearedAmong(records.map((r) => r.row.id));
      for (const rec of records) {
        if (clearedMeanwhile.has(rec.row.id)) continue;
        const verdict = clearRow(ctx, rec, isReadable(rec) ? tacVerdicts.get(rec.row.id) : undefined);
        if (verdict === 'posted') counts.posted += 1;
        else if (verdict === 'bad-tac') counts.badTac += 1;
        else if (verdict === 'duplicate') counts.duplicates += 1;
        else counts.clones += 1;
      }
      for (const [terminal, arrivals] of ctx.ttsns) addTtsns(chains, writer, terminal, arrivals);
      for (const [card, added] of ctx.added) addToCard(chains, writer, card, added);
      if (ctx.postings.length > 0) deps.ledger.postMany(ctx.postings);
    })
    .immediate();

  const { hotlisted, pending } = await hotlistFlagged(deps, clearing);
  return {
    rows: handedIn.size,
    pulledIn,
    alreadyCleared,
    ...counts,
    opened: writer.opened,
    autoResolved: writer.autoResolved,
    hotlisted,
    hotlistPending: pending,
  };
}

/** Adds the uncleared earlier namesakes of conflict rows to `todo`, transitively; returns how many. */
function pullInNamesakes(clearing: ClearingRepository, todo: Map<number, InboxRecord>): number {
  let pulled = 0;
  const queue = [...todo.values()].filter((r) => r.conflictOf !== null);
  for (let row = queue.pop(); row !== undefined; row = queue.pop()) {
    for (const { verdict, ...earlier } of clearing.namesakes(row)) {
      if (verdict !== null || todo.has(earlier.id)) continue;
      todo.set(earlier.id, earlier);
      pulled += 1;
      if (earlier.conflictOf !== null) queue.push(earlier);
    }
  }
  return pulled;
}

/** The merchant of each purchase's terminal. @throws UnknownMerchantError before anything is written. */
function merchantsOf(deps: ClearingDeps, records: readonly ClearingRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of records) {
    if (r.row.kind !== 'purchase' || out.has(r.row.terminalNumber)) continue;
    const merchant = deps.merchantOf(r.row.terminalNumber);
    if (merchant === undefined) throw new UnknownMerchantError(r.row.terminalNumber);
    out.set(r.row.terminalNumber, merchant);
  }
  return out;
}
