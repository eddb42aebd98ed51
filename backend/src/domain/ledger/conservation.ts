/**
 * The conservation invariant of the ledger, and `citycard backend ledger check` around it.
 * It holds when:
 *   1. loads - purchases - refunds = total float (+ float in transit between a transferOut and
 *      its transferIn), the entry amounts on the left, the running balances on the right;
 *   2. debits = credits over all lines, and every entry's lines sum to zero (at least two lines);
 *   3. every account's running balance equals the sum of its lines;
 *   4. bank = float + transit + payables + fees (the balance sheet).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE } from '../../data/db.js';
import { LedgerReportRepository, type DriftingAccount, type UnbalancedEntry } from '../../data/ledgerRepository.js';
import { LedgerMissingError } from './errors.js';

/** How many offending entries and accounts a report lists (the counts are complete). */
export const REPORT_LIST_LIMIT = 10;

export interface ConservationReport {
  readonly ok: boolean;
  /** Why ok is false, one sentence each; empty when ok. */
  readonly failures: readonly string[];
  readonly entries: number;
  /** Sums of entry amounts, fen. */
  readonly loads: number;
  readonly purchases: number;
  readonly refunds: number;
  /** Sum of all card float balances, fen. */
  readonly totalFloat: number;
  /** Float moved out by transferOut and not yet in by transferIn, fen. */
  readonly inTransit: number;
  readonly payables: number;
  readonly fees: number;
  readonly bank: number;
  /** Over all lines, both positive, fen. */
  readonly debits: number;
  readonly credits: number;
  /** Cards with a float account, and those with a negative shadow balance (not a failure by itself). */
  readonly cards: number;
  readonly negativeCards: number;
  readonly unbalancedEntries: number;
  readonly firstUnbalanced: readonly UnbalancedEntry[];
  readonly driftingAccounts: number;
  readonly firstDrifting: readonly DriftingAccount[];
}

/** Checks the ledger of an open database (read-only is enough). @throws LedgerMissingError without migration 070. */
export function checkConservation(db: Database.Database): ConservationReport {
  if (!LedgerReportRepository.present(db)) throw new LedgerMissingError();
  const repo = new LedgerReportRepository(db);
  const kinds = repo.totalsByKind();
  const roles = repo.balancesByRole();
  const { debits, credits } = repo.debitsAndCredits();
  const unbalanced = repo.unbalancedEntries(REPORT_LIST_LIMIT);
  const drifting = repo.driftingAccounts(REPORT_LIST_LIMIT);
  const loads = kinds.get('load') ?? 0;
  const purchases = kinds.get('purchase') ?? 0;
  const refunds = kinds.get('refund') ?? 0;
  const float = roles.get('float');
  const totalFloat = float?.total ?? 0;
  const inTransit = roles.get('transit')?.total ?? 0;
  const payables = roles.get('payable')?.total ?? 0;
  const fees = roles.get('fees')?.total ?? 0;
  const bank = roles.get('bank')?.total ?? 0;

  const failures: string[] = [];
  if (loads - purchases - refunds !== totalFloat + inTransit) {
    failures.push(`loads ${loads} - purchases ${purchases} - refunds ${refunds} = ${loads - purchases - refunds}, but float ${totalFloat} + in transit ${inTransit} = ${totalFloat + inTransit}`);
  }
  if (debits !== credits) failures.push(`debits ${debits} differ from credits ${credits}`);
  if (unbalanced.count > 0) failures.push(`${unbalanced.count} entries do not balance (first: ${unbalanced.first.map((e) => e.entryId).join(', ')})`);
  if (drifting.count > 0) failures.push(`${drifting.count} running balances differ from their lines (first: ${drifting.first.map((a) => a.account).join(', ')})`);
  if (bank !== totalFloat + inTransit + payables + fees) {
    failures.push(`bank ${bank} differs from float + in transit + payables + fees = ${totalFloat + inTransit + payables + fees}`);
  }
  return {
    ok: failures.length === 0,
    failures,
    entries: repo.entryCount(),
    loads,
    purchases,
    refunds,
    totalFloat,
    inTransit,
    payables,
    fees,
    bank,
    debits,
    credits,
    cards: float?.accounts ?? 0,
    negativeCards: float?.negative ?? 0,
    unbalancedEntries: unbalanced.count,
    firstUnbalanced: unbalanced.first,
    driftingAccounts: drifting.count,
    firstDrifting: drifting.first,
  };
}

/**
 * Opens the backend database read-only and checks its ledger (for `citycard backend ledger check`).
 * @throws the driver's error when the file cannot be opened; LedgerMissingError without migration 070.
 */
export function checkLedgerFile(databaseFile: string): ConservationReport {
  const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
  try {
    return checkConservation(db);
  } finally {
    db.close();
  }
}

/** Lines for the terminal; exit code 0 when the invariant holds, 1 when it does not. */
export function formatConservationReport(r: ConservationReport): { text: string; exitCode: 0 | 1 } {
  const lines = [
    r.ok ? `ledger OK: ${r.entries} entries, ${r.cards} cards` : `ledger BROKEN: ${r.entries} entries, ${r.cards} cards`,
    `  loads ${r.loads} - purchases ${r.purchases} - refunds ${r.refunds} = ${r.loads - r.purchases - r.refunds} fen`,
    `  float ${r.totalFloat} + in transit ${r.inTransit} = ${r.totalFloat + r.inTransit} fen; ${r.negativeCards} of ${r.cards} cards below zero`,
    `  debits ${r.debits} fen, credits ${r.credits} fen`,
    `  bank ${r.bank}, payables ${r.payables}, fees ${r.fees} fen`,
    ...r.failures.map((f) => `  FAIL ${f}`),
  ];
  return { text: lines.join('\n'), exitCode: r.ok ? 0 : 1 };
}

/**
 * `citycard backend ledger check --data-dir DIR`: the report of DIR's database, or one line when
 * it has no ledger yet (exit code 1 then too).
 * @throws the driver's error when the database file cannot be opened.
 */
export function runLedgerCheck(dataDir: string): { text: string; exitCode: 0 | 1 } {
  try {
    return formatConservationReport(checkLedgerFile(join(dataDir, DB_FILE)));
  } catch (err) {
    if (!(err instanceof LedgerMissingError)) throw err;
    return { text: `citycard backend: ${err.message}`, exitCode: 1 };
  }
}
