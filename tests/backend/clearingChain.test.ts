/**
 * The pure parts of clearing's checks: the balance chain replay (how loads and purchases are
 * merged and when a link is a mismatch), gaps in a series, and wall-clock times of a zone.
 */
import { describe, expect, it } from 'vitest';
import { CHAIN_START, type ChainRecord, replayChain } from '../../backend/src/domain/clearing/balanceChain.js';
import { KnownNumbers, addArrivals } from '../../backend/src/domain/clearing/gaps.js';
import { WallClock, wallClockOf } from '../../backend/src/domain/clearing/wallClock.js';

let nextId = 1;
const P = (counter: number, balanceBefore: number, amount: number, txTime = '20261123090000'): ChainRecord => ({ inboxId: nextId++, kind: 'purchase', counter, balanceBefore, amount, txTime });
const L = (counter: number, balanceBefore: number, amount: number, txTime = '20261123080000'): ChainRecord => ({ inboxId: nextId++, kind: 'load', counter, balanceBefore, amount, txTime });

/** `kind counter` per step, with `!expected` on a mismatch. */
const trace = (purchases: ChainRecord[], loads: ChainRecord[]): string[] =>
  replayChain(CHAIN_START, purchases, loads).map((s) => `${s.record.kind[0]}${s.record.counter}${s.expectedBefore === null ? '' : `!${s.expectedBefore}`}`);

describe('balance chain', () => {
  it('merges the two chains by balance, not by time', () => {
    // The purchase's terminal clock runs an hour behind the kiosk: balances still order them.
    expect(trace([P(0, 10_000, 300, '20261123070000'), P(1, 14_700, 200)], [L(0, 0, 10_000), L(1, 9700, 5000, '20261123100000')])).toEqual(['l0', 'p0', 'l1', 'p1']);
  });

  it('explains a fall by a purchase gap and a rise by a load gap, and nothing else', () => {
    // Purchase 1 missing: purchase 2 starts 1.00 lower, explained.
    expect(trace([P(0, 1000, 100), P(2, 800, 100)], [L(0, 0, 1000)])).toEqual(['l0', 'p0', 'p2']);
    // No gap anywhere, purchase 1 starts 1.00 higher than purchase 0 left: mismatch.
    expect(trace([P(0, 1000, 100), P(1, 1000, 100)], [L(0, 0, 1000)])).toEqual(['l0', 'p0', 'p1!900']);
    // Load 1 (4.00) missing before load 2: the rise to load 2 is explained by that gap.
    expect(trace([P(0, 1000, 100), P(1, 1400, 100, '20261123110000')], [L(0, 0, 1000), L(2, 1300, 100, '20261123100000')])).toEqual(['l0', 'p0', 'l2', 'p1']);
  });

  it('a purchase that starts higher with no load known after it is a mismatch until a load explains it', () => {
    expect(trace([P(0, 1000, 100), P(1, 1400, 100)], [L(0, 0, 1000)])).toEqual(['l0', 'p0', 'p1!900']);
    expect(trace([P(0, 1000, 100), P(1, 1400, 100)], [L(0, 0, 1000), L(1, 900, 500)])).toEqual(['l0', 'p0', 'l1', 'p1']);
  });

  it('when neither record fits, takes the pair that fits together, then the earlier', () => {
    // Start unknown to the chain (it starts at 0): load 1 then purchase 1 fit together.
    expect(trace([P(1, 1500, 100)], [L(1, 1000, 500)])).toEqual(['l1', 'p1']);
    // Nothing fits together: by time, the purchase at 07:00 first; each is a mismatch.
    expect(trace([P(0, 700, 100, '20261123070000')], [L(0, 500, 100, '20261123080000')])).toEqual(['p0!0', 'l0!600']);
  });
});

describe('gaps', () => {
  const run = (known: number[], first: number | undefined, arrivals: number[]): string[] => {
    const out: string[] = [];
    addArrivals(
      new KnownNumbers(known.map((n) => ({ n, inboxId: n }))),
      first,
      arrivals.map((n) => ({ n, inboxId: 100 + n })),
      { gap: (at, from, to) => out.push(`gap@${at.n} ${from}-${to}`), filled: (at, by) => out.push(`filled@${at.n} by ${by}`) },
    );
    return out;
  };

  it('opens, narrows and fills, taking arrivals in ascending order', () => {
    expect(run([], 0, [3])).toEqual(['gap@3 0-2']);
    expect(run([], undefined, [3])).toEqual([]);
    expect(run([0, 3], 0, [1])).toEqual(['gap@3 2-2']);
    expect(run([0, 3], 0, [2, 1])).toEqual(['gap@3 2-2', 'filled@3 by 102']);
    expect(run([0, 9], 0, [5])).toEqual(['gap@5 1-4', 'gap@9 6-8']);
    expect(run([10], undefined, [7, 8])).toEqual(['gap@10 8-9', 'gap@10 9-9']);
  });
});

describe('wall clock', () => {
  it('reads UTC and a fixed-offset zone', () => {
    expect(new WallClock().isoOf('20261123093000')).toBe('2026-11-23T09:30:00.000Z');
    expect(new WallClock('Asia/Shanghai').isoOf('20261123173000')).toBe('2026-11-23T09:30:00.000Z');
    expect(wallClockOf(new Date('2026-11-23T09:30:00.000Z'), 'Asia/Shanghai')).toBe('20261123173000');
  });

  it('takes the first of a repeated hour and reads a skipped one with the offset before the change', () => {
    const berlin = new WallClock('Europe/Berlin');
    // 25 Oct 2026: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    expect(berlin.isoOf('20261025023000')).toBe('2026-10-25T00:30:00.000Z');
    // 29 Mar 2026: 02:00 CET jumps to 03:00 CEST; 02:30 never happens.
    expect(berlin.isoOf('20260329023000')).toBe('2026-03-29T01:30:00.000Z');
    expect(berlin.isoOf('20260329033000')).toBe('2026-03-29T01:30:00.000Z');
    expect(berlin.isoOf('20261123100000')).toBe('2026-11-23T09:00:00.000Z');
  });

  it('refuses an unknown zone when built', () => {
    expect(() => new WallClock('Mars/Olympus')).toThrow(RangeError);
  });
});
