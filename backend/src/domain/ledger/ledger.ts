import type { Database } from 'better-sqlite3';
import { type BalanceChange, type LedgerEntry, LedgerRepository, type NewEntry, type NewLine } from '../../data/ledgerRepository.js';
import { type Clock, systemClock } from '../staff/clock.js';
import { floatAccount, normalSign, payableAccount } from './accounts.js';
import { type ConservationReport, checkConservation } from './conservation.js';
import { LedgerConflictError } from './errors.js';
import {
  type CardTransferRequest,
  type Posting,
  type PostingRequest,
  type PostResult,
  contentDifferences,
  journalLinesOf,
  postingOf,
  transferPostingOf,
} from './posting.js';

/** A merchant's purchases over a period: gross = fees + net, all in fen. */
export interface MerchantTotals {
  readonly gross: number;
  readonly fees: number;
  readonly net: number;
  readonly count: number;
}

const ISO_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The double-entry ledger. Synchronous, so it runs inside a caller's transaction (clearing posts
 * and advances inbox rows atomically); outside one, each call is its own transaction. A posting
 * is validated first and its key claimed by the entry insert, so a refused posting
 * (InvalidPostingError, LedgerConflictError) writes nothing and the caller's transaction may go
 * on. Any other error (the database's) may leave part of a posting: roll the transaction back.
 */
export class Ledger {
  readonly #db: Database;
  readonly #repo: LedgerRepository;
  readonly #clock: Clock;

  /** @param db open and migrated (070). */
  constructor(db: Database, clock: Clock = systemClock) {
    this.#db = db;
    this.#repo = new LedgerRepository(db);
    this.#clock = clock;
  }

  /**
   * Posts one entry, once per key.
   * @returns posted false (and the stored entry's id) when the key is already posted with the same content.
   * @throws InvalidPostingError (see postingOf); LedgerConflictError when the key is posted with other content.
   */
  post(request: PostingRequest): PostResult {
    return this.#once(postingOf(request));
  }

  /**
   * Posts each request in order, all in one transaction (a savepoint inside the caller's): on
   * any throw nothing of the batch stays. Duplicates within the batch come back posted false.
   * Takes a handful of statements per call, not per request: the batch's stored keys are read
   * at once, and entries, lines and each account's balance change are written in multi-row
   * statements.
   * @throws as post, for the first request that fails.
   */
  postMany(requests: readonly PostingRequest[]): PostResult[] {
    const postings = requests.map(postingOf);
    if (postings.length === 0) return [];
    const postedAt = this.#clock().toISOString();
    // IMMEDIATE on its own: the batch reads (keys, the last id) before it writes.
    return this.#db.transaction(() => this.#write(postings, postedAt)).immediate();
  }

  /**
   * Moves float from one card to another in one entry (debit the old card's float, credit the
   * new one's), once per key.
   * @throws InvalidPostingError (see transferPostingOf); LedgerConflictError as post.
   */
  transfer(request: CardTransferRequest): PostResult {
    return this.#once(transferPostingOf(request));
  }

  /** The card's float account balance (fen; negative when more cleared than was loaded). O(1). */
  shadowBalance(cardNumber: string): number {
    return this.#repo.balanceOf(floatAccount(cardNumber).name);
  }

  /** What is owed to the merchant now (its payable balance, fen). */
  merchantPayable(merchantId: string): number {
    return this.#repo.balanceOf(payableAccount(merchantId).name);
  }

  /**
   * The merchant's purchases with from <= at < to (a period, by transaction time).
   * @throws RangeError when a bound is not a valid Date or Date.toISOString() string.
   */
  merchantTotals(merchantId: string, from: string | Date, to: string | Date): MerchantTotals {
    const s = this.#repo.merchantSums(merchantId, isoBound(from), isoBound(to));
    return { gross: s.gross, fees: s.fees, net: s.gross - s.fees, count: s.count };
  }

  /** The entry posted under this key, if any. */
  entry(key: string): LedgerEntry | undefined {
    return this.#repo.entryByKey(key);
  }

  /** Runs the conservation check over the whole ledger (full scans: seconds for millions of entries). */
  checkConservation(): ConservationReport {
    return checkConservation(this.#db);
  }

  #once(p: Posting): PostResult {
    const postedAt = this.#clock().toISOString();
    // Inside a caller's transaction no savepoint (measured at a third of the cost of a posting):
    // refusals throw before the first write, and any other error fails the caller's transaction.
    const write = (): PostResult => this.#write([p], postedAt)[0]!;
    return this.#db.inTransaction ? write() : this.#db.transaction(write).immediate();
  }

  /**
   * Writes postings in order inside the current transaction. Every refusal (a key taken with
   * other content) is found before the first write, so a refused batch writes nothing.
   */
  #write(postings: readonly Posting[], postedAt: string): PostResult[] {
    const stored = this.#repo.entriesByKeys([...new Set(postings.map((p) => p.key))]);
    const taken = new Map<string, Posting & { readonly id: number }>(stored);
    const fresh: NewEntry[] = [];
    const results: PostResult[] = [];
    let nextId = -1;
    for (const p of postings) {
      const held = taken.get(p.key);
      if (held !== undefined) {
        const differs = contentDifferences(held, p);
        if (differs.length > 0) throw new LedgerConflictError(p.key, held.id, differs);
        results.push({ posted: false, entryId: held.id });
        continue;
      }
      if (nextId < 0) nextId = this.#repo.maxEntryId() + 1;
      const entry: NewEntry = { ...p, id: nextId++ };
      taken.set(p.key, entry);
      fresh.push(entry);
      results.push({ posted: true, entryId: entry.id });
    }
    if (fresh.length === 0) return results;

    // Each account's balance changes once per call, however many lines it has.
    const changes = new Map<string, BalanceChange>();
    const lines: NewLine[] = [];
    for (const e of fresh) {
      for (const l of journalLinesOf(e)) {
        lines.push({ entryId: e.id, account: l.account.name, amount: l.amount });
        const delta = normalSign(l.account.type) * l.amount;
        const held = changes.get(l.account.name);
        changes.set(l.account.name, { account: l.account, delta: (held?.delta ?? 0) + delta });
      }
    }
    this.#repo.insertEntries(fresh, postedAt);
    this.#repo.changeBalances([...changes.values()], postedAt);
    this.#repo.insertLines(lines);
    return results;
  }
}

function isoBound(bound: string | Date): string {
  const iso = bound instanceof Date ? (Number.isNaN(bound.getTime()) ? '' : bound.toISOString()) : bound;
  if (!ISO_MS_UTC.test(iso)) throw new RangeError('a period bound is a Date or an ISO-8601 UTC string as Date.toISOString() writes it');
  return iso;
}
