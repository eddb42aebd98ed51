/**
 * One inbox row's verdict inside the clearing transaction (docs/clearing-checks.md, "Duplicates
 * and clones"): BAD_TAC, DUPLICATE, CLONE, or posted, with what a posted row brings to the
 * checks that run after all rows (gaps, balance chain) and its ledger posting.
 */
import type { Known } from '../../data/clearingChainRepository.js';
import type { ClearingRepository, Namesake, Rejection, Verdict } from '../../data/clearingRepository.js';
import type { InboxRecord } from '../../data/uploadInboxRepository.js';
import type { PostingRequest } from '../ledger/index.js';
import type { ChainRecord } from './balanceChain.js';
import { type ClearingRecord, type UnreadableRecord, isReadable, readClearingRecord } from './clearingRecord.js';
import { ClearingOrderError } from './errors.js';
import type { ExceptionWriter } from './exceptionWriter.js';
import type { HotlistTimes } from './hotlisting.js';
import type { TacVerdict } from './tacChecks.js';
import type { WallClock } from './wallClock.js';

/** What the rows of one call share, and what they leave for the checks after them. */
export interface RowContext {
  readonly clearing: ClearingRepository;
  readonly writer: ExceptionWriter;
  readonly clearedAt: string;
  readonly wallClock: WallClock;
  readonly merchants: ReadonlyMap<string, string>;
  readonly defaultFeeBps: number;
  readonly postings: PostingRequest[];
  /** Posted records per card, for the gap check and the chain replay after the rows. */
  readonly added: Map<string, ChainRecord[]>;
  /** TTSNs of verified purchases per terminal, for the gap check after the rows. */
  readonly ttsns: Map<string, Known[]>;
  /** Hotlist history of the call's cards, read once per call. */
  readonly hotlists: HotlistTimes;
  readonly fees: Map<string, number>;
}

const inboxSubject = (id: number): string => `inbox:${id}`;

/** Decides one row and writes its verdict, exceptions and inbox status. @throws ClearingOrderError */
export function clearRow(ctx: RowContext, rec: ClearingRecord | UnreadableRecord, tac: TacVerdict | undefined): Verdict {
  const { row } = rec;
  const base = { subject: inboxSubject(row.id), cardNumber: row.cardNumber, terminalNumber: row.terminalNumber, inboxId: row.id };
  if (!isReadable(rec)) {
    ctx.writer.open({ ...base, kind: 'BAD_TAC', details: { reason: `unreadable record: ${rec.problem}` } });
    return reject(ctx, row, 'bad-tac');
  }
  if (tac === undefined || !tac.valid) {
    ctx.writer.open({ ...base, kind: 'BAD_TAC', details: { reason: tac === undefined ? 'no TAC verdict' : tac.reason } });
    return reject(ctx, row, 'bad-tac');
  }

  // Only a conflict row has earlier namesakes: its first row had both keys to itself.
  const valid: { readonly row: Namesake; readonly identity: string }[] = [];
  if (row.conflictOf !== null) {
    for (const n of ctx.clearing.namesakes(row)) {
      if (n.verdict === null) throw new ClearingOrderError(row.id, n.id);
      if (n.verdict === 'bad-tac') continue;
      const earlier = readClearingRecord(n);
      if (isReadable(earlier)) valid.push({ row: n, identity: earlier.identity });
    }
  }
  const sameTransaction = valid.find((n) => n.identity === rec.identity);
  if (sameTransaction !== undefined) {
    ctx.writer.open({ ...base, kind: 'DUPLICATE', details: { of: sameTransaction.row.id, key: sharedKey(row, sameTransaction.row), posted: false } });
    noteTtsn(ctx, rec);
    return reject(ctx, row, 'duplicate');
  }
  const postedUnderCounter = valid.find(
    (n) => n.row.verdict === 'posted' && n.row.kind === row.kind && n.row.cardNumber === row.cardNumber && n.row.counter === row.counter,
  );
  if (postedUnderCounter !== undefined) {
    ctx.writer.open({
      ...base,
      kind: 'CLONE',
      details: { original: postedUnderCounter.row.id, counter: row.kind === 'purchase' ? 'offline' : 'online', differs: differingFields(rec.identity, postedUnderCounter.identity) },
    });
    ctx.clearing.flagClone(row.cardNumber, row.id, ctx.clearedAt);
    noteTtsn(ctx, rec);
    return reject(ctx, row, 'clone');
  }

  const ttsnTwice = valid.find((n) => n.row.kind === 'purchase' && row.kind === 'purchase' && n.row.terminalNumber === row.terminalNumber && n.row.ttsn === row.ttsn);
  if (ttsnTwice !== undefined) {
    ctx.writer.open({ ...base, kind: 'DUPLICATE', details: { of: ttsnTwice.row.id, key: 'terminal-ttsn', posted: true } });
  }
  noteTtsn(ctx, rec);
  post(ctx, rec);
  ctx.clearing.advanceInbox(row.id, 'cleared', ctx.clearedAt);
  return 'posted';
}

function reject(ctx: RowContext, row: InboxRecord, verdict: Rejection): Verdict {
  ctx.clearing.reject(row.id, verdict, ctx.clearedAt);
  ctx.clearing.advanceInbox(row.id, 'exception', ctx.clearedAt);
  return verdict;
}

function sharedKey(row: InboxRecord, n: InboxRecord): 'card-counter' | 'terminal-ttsn' {
  return n.kind === row.kind && n.cardNumber === row.cardNumber && n.counter === row.counter ? 'card-counter' : 'terminal-ttsn';
}

const PURCHASE_FIELDS = ['kind', 'card', 'keyVersion', 'amount', 'terminal', 'ttsn', 'dateTime', 'tac'];
const LOAD_FIELDS = ['kind', 'card', 'keyVersion', 'amount', 'terminal', 'onlineCounter', 'newBalance', 'dateTime', 'tac'];

/** Names of the TAC-covered fields in which two identities differ. */
function differingFields(a: string, b: string): string[] {
  const x = a.split('|');
  const y = b.split('|');
  const names = x[0] === 'P' ? PURCHASE_FIELDS : LOAD_FIELDS;
  return names.filter((_, i) => x[i] !== y[i]);
}

/** A verified purchase proves its PSAM issued its TTSN, posted or not. */
function noteTtsn(ctx: RowContext, rec: ClearingRecord): void {
  const { row } = rec;
  if (row.kind !== 'purchase' || row.ttsn === null) return;
  const list = ctx.ttsns.get(row.terminalNumber);
  if (list === undefined) ctx.ttsns.set(row.terminalNumber, [{ n: row.ttsn, inboxId: row.id }]);
  else list.push({ n: row.ttsn, inboxId: row.id });
}

function post(ctx: RowContext, rec: ClearingRecord): void {
  const { row } = rec;
  const card = row.cardNumber;
  const chained: ChainRecord = { inboxId: row.id, kind: row.kind, counter: row.counter, balanceBefore: rec.balanceBefore, amount: row.amount, txTime: rec.txTime };
  const added = ctx.added.get(card);
  if (added === undefined) ctx.added.set(card, [chained]);
  else added.push(chained);

  const at = ctx.wallClock.isoOf(rec.txTime);
  checkHotlisted(ctx, rec, at);
  const ref = `inbox:${row.id}`;
  if (row.kind === 'load') {
    ctx.postings.push({ key: `load:${card}:${row.counter}`, kind: 'load', cardNumber: card, amount: row.amount, at, ref });
    return;
  }
  const merchantId = ctx.merchants.get(row.terminalNumber)!;
  let feeBps = ctx.fees.get(merchantId);
  if (feeBps === undefined) {
    feeBps = ctx.clearing.merchantFeeBps(merchantId) ?? ctx.defaultFeeBps;
    ctx.fees.set(merchantId, feeBps);
  }
  ctx.postings.push({ key: `purchase:${card}:${row.counter}`, kind: 'purchase', cardNumber: card, amount: row.amount, merchantId, feeBps, at, ref });
}

/** HOTLISTED_AFTER_BLOCK when the card was listed at the record's time (its terminal was offline or behind). */
function checkHotlisted(ctx: RowContext, rec: ClearingRecord, at: string): void {
  const listing = ctx.hotlists.listingAt(rec.row.cardNumber, rec.txTime);
  if (listing === undefined) return;
  ctx.writer.open({
    kind: 'HOTLISTED_AFTER_BLOCK',
    subject: inboxSubject(rec.row.id),
    cardNumber: rec.row.cardNumber,
    terminalNumber: rec.row.terminalNumber,
    inboxId: rec.row.id,
    details: { listedAt: listing.createdAt, reason: listing.reason, recordAt: at },
  });
}
