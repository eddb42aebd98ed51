/**
 * What a card's newly posted records change in its chains, worked out per card once per call:
 * counter gaps (offline and online) and the balance chain with its BALANCE_MISMATCH exceptions.
 *
 * The balance chain is replayed from the earliest step a new record can change: the step after
 * the new record's predecessor in its own chain (the chain up to there never looked beyond that
 * predecessor, so it stands as it was). The records after that point are read once; with the
 * chain state there they also hold every neighbour the gap check needs.
 */
import type { ChainKind, ChainRow, ClearingChainRepository, Known } from '../../data/clearingChainRepository.js';
import { CHAIN_START, type ChainRecord, type ChainState, balanceAfterOf, replayChain } from './balanceChain.js';
import type { ExceptionWriter } from './exceptionWriter.js';
import { type GapReporter, KnownNumbers, addArrivals } from './gaps.js';

export const mismatchSubject = (inboxId: number): string => `inbox:${inboxId}`;

export const counterGapSubject = (cardNumber: string, kind: ChainKind, counter: number): string =>
  `card:${cardNumber}:${kind === 'purchase' ? 'offline' : 'online'}:${counter}`;

interface Resume {
  readonly previous: ChainRow | undefined;
  readonly purchases: readonly ChainRow[];
  readonly loads: readonly ChainRow[];
}

/** The replay's starting point for `added` and the records after it. */
function resumeFor(chains: ClearingChainRepository, cardNumber: string, added: readonly ChainRecord[]): Resume {
  // The earliest predecessor wins; a record without one replays the chain from its start.
  let previous: ChainRow | undefined;
  for (const r of added) {
    const pred = chains.predecessor(cardNumber, r.kind, r.counter);
    if (pred === undefined) {
      previous = undefined;
      break;
    }
    if (previous === undefined || pred.step < previous.step) previous = pred;
  }
  const tail = previous === undefined ? chains.tail(cardNumber, -1, -1) : chains.tail(cardNumber, previous.lastPurchase, previous.lastLoad);
  return { previous, purchases: tail.purchases, loads: tail.loads };
}

class CounterGaps implements GapReporter {
  readonly exceptions: ExceptionWriter;
  readonly cardNumber: string;
  readonly kind: ChainKind;

  constructor(exceptions: ExceptionWriter, cardNumber: string, kind: ChainKind) {
    this.exceptions = exceptions;
    this.cardNumber = cardNumber;
    this.kind = kind;
  }

  gap(at: Known, from: number, to: number): void {
    this.exceptions.keep({
      kind: 'COUNTER_GAP',
      subject: counterGapSubject(this.cardNumber, this.kind, at.n),
      cardNumber: this.cardNumber,
      terminalNumber: null,
      inboxId: at.inboxId,
      details: { counter: this.kind === 'purchase' ? 'offline' : 'online', missingFrom: from, missingTo: to, missingCount: to - from + 1, nextCounter: at.n },
    });
  }

  filled(at: Known, byInboxId: number): void {
    this.exceptions.explained('COUNTER_GAP', counterGapSubject(this.cardNumber, this.kind, at.n), `filled by inbox row ${byInboxId}`);
  }
}

/** The gaps `arrivals` open, narrow or fill in one chain: `last` and `held` are every neighbour they have. */
function checkGaps(exceptions: ExceptionWriter, cardNumber: string, kind: ChainKind, last: number, held: readonly ChainRow[], arrivals: readonly Known[]): void {
  const known: Known[] = last >= 0 ? [{ n: last, inboxId: -1 }] : [];
  for (const r of held) known.push({ n: r.counter, inboxId: r.inboxId });
  addArrivals(new KnownNumbers(known), 0, arrivals, new CounterGaps(exceptions, cardNumber, kind));
}

/** Adds a card's new records to its chains and keeps its gap and mismatch exceptions in step. */
export function addToCard(chains: ClearingChainRepository, exceptions: ExceptionWriter, cardNumber: string, added: readonly ChainRecord[]): void {
  const { previous, purchases: heldPurchases, loads: heldLoads } = resumeFor(chains, cardNumber, added);
  const start: ChainState =
    previous === undefined
      ? CHAIN_START
      : { balance: balanceAfterOf(previous), lastPurchase: previous.lastPurchase, lastLoad: previous.lastLoad, step: previous.step + 1 };

  const newPurchases: Known[] = [];
  const newLoads: Known[] = [];
  const purchases: ChainRecord[] = [...heldPurchases];
  const loads: ChainRecord[] = [...heldLoads];
  for (const r of added) {
    (r.kind === 'purchase' ? newPurchases : newLoads).push({ n: r.counter, inboxId: r.inboxId });
    (r.kind === 'purchase' ? purchases : loads).push(r);
  }
  // Every new counter is above the start's last one of its chain, so these are all its neighbours.
  if (newPurchases.length > 0) checkGaps(exceptions, cardNumber, 'purchase', start.lastPurchase, heldPurchases, newPurchases);
  if (newLoads.length > 0) checkGaps(exceptions, cardNumber, 'load', start.lastLoad, heldLoads, newLoads);
  if (added.length > 1) {
    purchases.sort(byCounter);
    loads.sort(byCounter);
  } else {
    // One new record, above every held one in the common case; sort only when it is not.
    const list = added[0]!.kind === 'purchase' ? purchases : loads;
    if (list.length > 1 && list[list.length - 2]!.counter > list[list.length - 1]!.counter) list.sort(byCounter);
  }

  const stored = new Map<number, ChainRow>();
  for (const r of heldPurchases) stored.set(r.inboxId, r);
  for (const r of heldLoads) stored.set(r.inboxId, r);
  let prev: ChainRecord | undefined = previous;
  for (const s of replayChain(start, purchases, loads)) {
    const r = s.record;
    const before = stored.get(r.inboxId);
    const previousOfThis = prev;
    prev = r;
    const row: ChainRow = {
      cardNumber,
      kind: r.kind,
      counter: r.counter,
      balanceBefore: r.balanceBefore,
      amount: r.amount,
      txTime: r.txTime,
      inboxId: r.inboxId,
      step: s.step,
      lastPurchase: s.after.lastPurchase,
      lastLoad: s.after.lastLoad,
      expectedBefore: s.expectedBefore,
    };
    if (before === undefined) chains.insert(row);
    else if (before.step !== row.step || before.lastPurchase !== row.lastPurchase || before.lastLoad !== row.lastLoad || before.expectedBefore !== row.expectedBefore) {
      chains.update(row);
    } else continue;

    if (s.expectedBefore === null) {
      if (before !== undefined && before.expectedBefore !== null) {
        exceptions.explained('BALANCE_MISMATCH', mismatchSubject(r.inboxId), 'the chain fits once later records arrived');
      }
      continue;
    }
    exceptions.keep({
      kind: 'BALANCE_MISMATCH',
      subject: mismatchSubject(r.inboxId),
      cardNumber,
      terminalNumber: null,
      inboxId: r.inboxId,
      details: {
        record: { kind: r.kind, counter: r.counter },
        balanceBefore: r.balanceBefore,
        expectedBalanceBefore: s.expectedBefore,
        difference: r.balanceBefore - s.expectedBefore,
        previous: previousOfThis === undefined ? null : { kind: previousOfThis.kind, counter: previousOfThis.counter, inboxId: previousOfThis.inboxId },
      },
    });
  }
}

function byCounter(a: ChainRecord, b: ChainRecord): number {
  return a.counter - b.counter;
}
