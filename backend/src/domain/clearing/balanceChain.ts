/**
 * The balance chain of one card, as a pure replay (docs/clearing-checks.md, "Balance chain").
 *
 * A card's transactions form one sequence that interleaves two chains: purchases numbered by the
 * offline counter and loads by the online counter (each transaction moves exactly one of them).
 * No record says where it sits in the other chain, so the merge follows the balances: a
 * transaction starts at the balance the previous one left, `before - amount` after a purchase and
 * `before + amount` after a load. Cards are issued empty, so the chain starts at balance 0 with
 * no purchase and no load.
 *
 * Each step looks at the next known purchase and the next known load and takes:
 * 1. the one whose balance before is the current balance, when exactly one is (in consistent
 *    data exactly one is: amounts are at least 1, so the other cannot start there too);
 * 2. otherwise the one whose balance after is the other's balance before (a missing record
 *    broke the link, the pair still fits together);
 * 3. otherwise the earlier by date and time, a purchase first at the same second.
 * The record taken is a BALANCE_MISMATCH when its balance before is not the current balance and
 * no known gap explains the difference: a rise needs a missing load (a gap in the online counters
 * before the next known load), a fall a missing purchase (a gap in the offline counters). A chain
 * whose other side merely has nothing more yet is not a gap: the mismatch is reported and
 * resolved when the late record arrives. The chain then goes on from the record's own claim.
 */

/** One posted record as the chain sees it. */
export interface ChainRecord {
  readonly inboxId: number;
  readonly kind: 'purchase' | 'load';
  /** Offline counter (purchase) or online counter (load) before the transaction. */
  readonly counter: number;
  readonly balanceBefore: number;
  readonly amount: number;
  /** `YYYYMMDDhhmmss`. */
  readonly txTime: string;
}

/** Where the chain stands between two steps. */
export interface ChainState {
  /** Balance after the last step (0 before the first). */
  readonly balance: number;
  /** Counter of the last purchase / load taken, -1 for none. */
  readonly lastPurchase: number;
  readonly lastLoad: number;
  /** Number of the next step (0 = the card's first transaction). */
  readonly step: number;
}

export const CHAIN_START: ChainState = { balance: 0, lastPurchase: -1, lastLoad: -1, step: 0 };

export interface ChainStep {
  readonly record: ChainRecord;
  readonly step: number;
  /** The state after this record. */
  readonly after: ChainState;
  /** The balance the chain expected, when the record's balance before differs and no gap explains it. */
  readonly expectedBefore: number | null;
}

export const balanceAfterOf = (r: Pick<ChainRecord, 'kind' | 'balanceBefore' | 'amount'>): number =>
  r.kind === 'purchase' ? r.balanceBefore - r.amount : r.balanceBefore + r.amount;

/**
 * Replays the chain from `start` over every record it has not taken yet. `purchases` and `loads`
 * are sorted by counter, each above the start's last counter of its chain.
 */
export function replayChain(start: ChainState, purchases: readonly ChainRecord[], loads: readonly ChainRecord[]): ChainStep[] {
  const steps: ChainStep[] = [];
  let state = start;
  let a = 0;
  let b = 0;
  while (a < purchases.length || b < loads.length) {
    const p = purchases[a];
    const l = loads[b];
    const x = choose(state.balance, p, l);
    const pGap = p !== undefined && p.counter > state.lastPurchase + 1;
    const lGap = l !== undefined && l.counter > state.lastLoad + 1;
    const diff = x.balanceBefore - state.balance;
    // A rise needs a missing load, a fall a missing purchase, at or before the records in view.
    const explained = diff > 0 ? lGap : diff < 0 ? pGap : true;
    const after: ChainState = {
      balance: balanceAfterOf(x),
      lastPurchase: x.kind === 'purchase' ? x.counter : state.lastPurchase,
      lastLoad: x.kind === 'load' ? x.counter : state.lastLoad,
      step: state.step + 1,
    };
    steps.push({ record: x, step: state.step, after, expectedBefore: explained ? null : state.balance });
    if (x === p) a++;
    else b++;
    state = after;
  }
  return steps;
}

function choose(balance: number, p: ChainRecord | undefined, l: ChainRecord | undefined): ChainRecord {
  if (p === undefined) return l!;
  if (l === undefined) return p;
  const pFits = p.balanceBefore === balance;
  const lFits = l.balanceBefore === balance;
  if (pFits !== lFits) return pFits ? p : l;
  const pThenL = balanceAfterOf(p) === l.balanceBefore;
  const lThenP = balanceAfterOf(l) === p.balanceBefore;
  if (pThenL !== lThenP) return pThenL ? p : l;
  return l.txTime < p.txTime ? l : p;
}
