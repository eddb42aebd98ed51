/**
 * Property test of the ledger invariant: seeded random sequences of thousands of postings (every
 * kind, card transfers, batches, exact re-posts, conflicting re-posts, batches that fail part way)
 * against a plain model of what each card holds and what each merchant is owed. After every
 * stretch of operations the conservation check must hold and agree with the model to the fen,
 * and every shadow balance must equal the model's. A tiny seeded PRNG keeps each run repeatable.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import { type CardTransferRequest, Ledger, LedgerConflictError, type PostingRequest } from '../../backend/src/domain/ledger/index.js';

const SEEDS = [1, 7, 42, 2026];
const OPERATIONS = 3_000;
const CHECK_EVERY = 250;
const CARDS = Array.from({ length: 40 }, (_, i) => `62${String(i).padStart(14, '0')}`);
const MERCHANTS = ['M-A', 'M-B', 'M-C', 'M-D', 'M-E'];
const FEE_BPS = [0, 30, 60, 250, 10_000];
const DAY_START = Date.parse('2026-06-01T00:00:00.000Z');
const DAY_END = '2026-06-02T00:00:00.000Z';

/** mulberry32: a 32-bit seeded generator, enough to drive a test repeatably. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Request = { readonly transfer: false; readonly req: PostingRequest } | { readonly transfer: true; readonly req: CardTransferRequest };

/** What the ledger should hold, kept with nothing but additions. */
class Model {
  cards = new Map<string, number>();
  payables = new Map<string, { gross: number; fees: number; count: number }>();
  loads = 0;
  purchases = 0;
  refunds = 0;
  transit = 0;
  fees = 0;
  bank = 0;
  posted = new Map<string, Request>();

  clone(): Model {
    const m = new Model();
    m.cards = new Map(this.cards);
    m.payables = new Map([...this.payables].map(([k, v]) => [k, { ...v }]));
    Object.assign(m, { loads: this.loads, purchases: this.purchases, refunds: this.refunds, transit: this.transit, fees: this.fees, bank: this.bank });
    m.posted = new Map(this.posted);
    return m;
  }

  #card(card: string, delta: number): void {
    this.cards.set(card, (this.cards.get(card) ?? 0) + delta);
  }

  /** Applies a posting: 'new', or for a key already posted 'same' or 'conflict' (the model then stays). */
  apply(r: Request): 'new' | 'same' | 'conflict' {
    const before = this.posted.get(r.req.key);
    if (before !== undefined) return contentOf(before) === contentOf(r) ? 'same' : 'conflict';
    this.posted.set(r.req.key, r);
    if (r.transfer) {
      this.#card(r.req.fromCardNumber, -r.req.amount);
      this.#card(r.req.toCardNumber, r.req.amount);
      return 'new';
    }
    const p = r.req;
    switch (p.kind) {
      case 'load':
        this.loads += p.amount;
        this.bank += p.amount;
        this.#card(p.cardNumber, p.amount);
        break;
      case 'refund':
        this.refunds += p.amount;
        this.bank -= p.amount;
        this.#card(p.cardNumber, -p.amount);
        break;
      case 'transferOut':
        this.transit += p.amount;
        this.#card(p.cardNumber, -p.amount);
        break;
      case 'transferIn':
        this.transit -= p.amount;
        this.#card(p.cardNumber, p.amount);
        break;
      case 'purchase': {
        const product = p.amount * (p.feeBps ?? 0);
        const fee = (product - (product % 10_000)) / 10_000;
        this.purchases += p.amount;
        this.fees += fee;
        this.#card(p.cardNumber, -p.amount);
        const m = this.payables.get(p.merchantId!) ?? { gross: 0, fees: 0, count: 0 };
        this.payables.set(p.merchantId!, { gross: m.gross + p.amount, fees: m.fees + fee, count: m.count + 1 });
        break;
      }
    }
    return 'new';
  }
}

/** A request's content: everything but its ref, which says only where it came from. */
const contentOf = (r: Request): string => JSON.stringify({ ...r, req: { ...r.req, ref: undefined } });

class Generator {
  readonly #rand: () => number;
  #next = 0;
  readonly history: Request[] = [];

  constructor(seed: number) {
    this.#rand = prng(seed);
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.#rand() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  #at(): string {
    return new Date(DAY_START + this.int(0, 86_399) * 1000).toISOString();
  }

  /** A request under a new key. */
  fresh(): Request {
    const key = `op:${++this.#next}`;
    const cardNumber = this.pick(CARDS);
    const roll = this.#rand();
    let r: Request;
    if (roll < 0.25) r = { transfer: false, req: { key, kind: 'load', cardNumber, amount: this.int(1, 50_000), at: this.#at() } };
    else if (roll < 0.75) {
      r = { transfer: false, req: { key, kind: 'purchase', cardNumber, amount: this.int(1, 5_000), merchantId: this.pick(MERCHANTS), feeBps: this.pick(FEE_BPS), at: this.#at(), ref: `inbox:${this.#next}` } };
    } else if (roll < 0.82) r = { transfer: false, req: { key, kind: 'refund', cardNumber, amount: this.int(1, 2_000), at: this.#at() } };
    else if (roll < 0.88) r = { transfer: false, req: { key, kind: 'transferOut', cardNumber, amount: this.int(1, 3_000), at: this.#at() } };
    else if (roll < 0.94) r = { transfer: false, req: { key, kind: 'transferIn', cardNumber, amount: this.int(1, 3_000), at: this.#at() } };
    else {
      const toCardNumber = this.pick(CARDS.filter((c) => c !== cardNumber));
      r = { transfer: true, req: { key, fromCardNumber: cardNumber, toCardNumber, amount: this.int(1, 3_000), at: this.#at() } };
    }
    return r;
  }

  /** Remembers a request the ledger accepted, for later duplicates and conflicts. */
  posted(r: Request): void {
    this.history.push(r);
  }

  /** An earlier posted request again, same content (the ref may differ: it is not content). */
  duplicate(): Request {
    const r = this.pick(this.history);
    return r.transfer ? r : { transfer: false, req: { ...r.req, ref: `again:${this.int(1, 9)}` } };
  }

  /** An earlier posted key with other content. */
  conflicting(): Request {
    const r = this.pick(this.history);
    if (r.transfer) return { transfer: true, req: { ...r.req, amount: r.req.amount + 1 } };
    if (r.req.kind === 'purchase' && this.#rand() < 0.5) {
      return { transfer: false, req: { ...r.req, merchantId: MERCHANTS.find((m) => m !== r.req.merchantId)! } };
    }
    return { transfer: false, req: { ...r.req, amount: r.req.amount + this.int(1, 10) } };
  }
}

function send(ledger: Ledger, r: Request): { posted: boolean; entryId: number } {
  return r.transfer ? ledger.transfer(r.req) : ledger.post(r.req);
}

let db: Db;
let ledger: Ledger;
beforeEach(() => {
  db = openDatabase(':memory:');
  migrate(db);
  ledger = new Ledger(db, () => new Date('2026-06-02T03:00:00.000Z'));
});
afterEach(() => db.close());

function expectAgreement(model: Model): void {
  const r = ledger.checkConservation();
  expect(r.failures).toEqual([]);
  expect(r.ok).toBe(true);
  const totalFloat = [...model.cards.values()].reduce((a, b) => a + b, 0);
  const payables = [...model.payables.values()].reduce((a, m) => a + m.gross - m.fees, 0);
  expect({ entries: r.entries, loads: r.loads, purchases: r.purchases, refunds: r.refunds, totalFloat: r.totalFloat, inTransit: r.inTransit, fees: r.fees, payables: r.payables, bank: r.bank }).toEqual({
    entries: model.posted.size,
    loads: model.loads,
    purchases: model.purchases,
    refunds: model.refunds,
    totalFloat,
    inTransit: model.transit,
    fees: model.fees,
    payables,
    bank: model.bank,
  });
  expect(r.loads - r.purchases - r.refunds).toBe(r.totalFloat + r.inTransit);
  for (const card of CARDS) expect(ledger.shadowBalance(card)).toBe(model.cards.get(card) ?? 0);
}

describe.each(SEEDS)('seed %i', (seed) => {
  it(`keeps the invariant and the model's balances over ${OPERATIONS} operations`, () => {
    const gen = new Generator(seed);
    let model = new Model();
    const tally = { posted: 0, duplicates: 0, conflicts: 0, batches: 0, failedBatches: 0 };
    for (let op = 1; op <= OPERATIONS; op++) {
      const roll = gen.int(0, 99);
      if (roll < 60 || gen.history.length === 0) {
        const r = gen.fresh();
        expect(send(ledger, r).posted).toBe(true);
        expect(model.apply(r)).toBe('new');
        gen.posted(r);
        tally.posted++;
      } else if (roll < 75) {
        const r = gen.duplicate();
        const stored = ledger.entry(r.req.key)!;
        expect(send(ledger, r)).toEqual({ posted: false, entryId: stored.id });
        expect(model.apply(r)).toBe('same');
        tally.duplicates++;
      } else if (roll < 85) {
        const r = gen.conflicting();
        expect(model.apply(r)).toBe('conflict');
        expect(() => send(ledger, r)).toThrow(LedgerConflictError);
        tally.conflicts++;
      } else {
        // New requests and duplicates, one batch in four carrying a conflict that must leave nothing.
        const poisonAt = gen.int(0, 3) === 0 ? gen.int(0, 19) : -1;
        const batch: Request[] = [];
        const size = gen.int(1, 20);
        for (let i = 0; i < size; i++) {
          const r = i === poisonAt ? gen.conflicting() : gen.int(0, 3) === 0 ? gen.duplicate() : gen.fresh();
          if (!r.transfer) batch.push(r);
        }
        const next = model.clone();
        const outcomes = batch.map((r) => next.apply(r));
        const requests = batch.map((r) => r.req as PostingRequest);
        if (outcomes.includes('conflict')) {
          const before = ledger.checkConservation();
          expect(() => ledger.postMany(requests)).toThrow(LedgerConflictError);
          expect(ledger.checkConservation()).toEqual(before);
          tally.failedBatches++;
        } else {
          expect(ledger.postMany(requests).map((x) => x.posted)).toEqual(outcomes.map((o) => o === 'new'));
          batch.forEach((r, i) => outcomes[i] === 'new' && gen.posted(r));
          model = next;
          tally.batches++;
        }
      }
      if (op % CHECK_EVERY === 0) expectAgreement(model);
    }
    expectAgreement(model);
    for (const m of MERCHANTS) {
      const t = model.payables.get(m) ?? { gross: 0, fees: 0, count: 0 };
      expect(ledger.merchantTotals(m, new Date(DAY_START), DAY_END)).toEqual({ gross: t.gross, fees: t.fees, net: t.gross - t.fees, count: t.count });
      expect(ledger.merchantPayable(m)).toBe(t.gross - t.fees);
    }
    // Every path was taken, so the invariant was tested against each.
    expect(Object.values(tally).every((n) => n > 10)).toBe(true);
  });
});
