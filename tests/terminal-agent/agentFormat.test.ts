/** The gate and POS screen (cli/agent/agentFormat.ts, statusDisplay.ts): exact strings. */
import { describe, expect, it } from 'vitest';
import type { PurchaseRecord } from '@citycard/terminal-agent';
import { formatAge, formatFen, formatStatusLine, formatSummary, formatTapResult, parseYuan } from '../../cli/agent/agentFormat.js';
import { StatusDisplay } from '../../cli/agent/statusDisplay.js';
import type { AgentStatus, TapResult } from '../../terminal-agent/src/agent/agentEvents.js';
import type { TapCounts } from '../../terminal-agent/src/agent/tapCounters.js';
import type { TapOutcome } from '../../terminal-agent/src/tap/tapOutcome.js';

const CARD = '1000000000000001';
const RECORD: PurchaseRecord = {
  kind: 'purchase',
  cardNumber: CARD,
  amount: 200,
  terminal: '000000000001',
  date: '20261123',
  time: '093000',
  balanceBefore: 4900,
  keyVersion: 1,
  algorithmId: 0,
  trail: [],
  offlineCounter: 5,
  ttsn: 0x102,
  mac2: '0DEF3FA3',
  tac: 'A0F363C7',
  mac2Verified: true,
  recovered: false,
};
const FIXED_NOW = new Date('2026-11-23T09:30:00Z');

const outcome = (o: TapOutcome, balance?: number): TapResult => ({ kind: 'outcome', outcome: o, balance });
const declined = (reason: Extract<TapOutcome, { kind: 'declined' }>['reason'], blocked?: boolean): TapOutcome =>
  blocked === undefined ? { kind: 'declined', cardNumber: CARD, reason, detail: '' } : { kind: 'declined', cardNumber: CARD, reason, blocked, detail: '' };

describe('formatFen', () => {
  it('writes fen as yuan with two decimals', () => {
    expect(formatFen(200)).toBe('¥2.00');
    expect(formatFen(4700)).toBe('¥47.00');
    expect(formatFen(120)).toBe('¥1.20');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(0xffffffff)).toBe('¥42949672.95');
  });
  it('refuses what is not a whole number of fen', () => {
    expect(() => formatFen(-1)).toThrow(RangeError);
    expect(() => formatFen(1.5)).toThrow(RangeError);
  });
});

describe('parseYuan', () => {
  it('reads what a merchant types as fen', () => {
    expect(parseYuan('12.50')).toBe(1250);
    expect(parseYuan('12.5')).toBe(1250);
    expect(parseYuan('12')).toBe(1200);
    expect(parseYuan(' ¥0.05 ')).toBe(5);
    expect(parseYuan('99999999.99')).toBe(9_999_999_999);
  });
  it('refuses signs, exponents, a third decimal and words', () => {
    for (const bad of ['-1', '1e3', '12.505', '', 'twelve', '12,50', '.5']) expect(() => parseYuan(bad)).toThrow(RangeError);
    expect(() => parseYuan('abc')).toThrow('"abc" is not an amount in yuan (e.g. 12.50)');
  });
});

describe('formatTapResult', () => {
  it('approves with the amount and the balance after', () => {
    const approved: TapOutcome = { kind: 'approved', cardNumber: CARD, amount: 200, balanceAfter: 4700, record: RECORD, journey: { kind: 'flat' } };
    expect(formatTapResult(outcome(approved, 4700))).toBe('APPROVED ¥2.00 — balance ¥47.00');
  });
  it('approves an exit that owes nothing', () => {
    const exit: TapOutcome = { kind: 'approved', cardNumber: CARD, amount: 0, balanceAfter: 4700, record: undefined, journey: { kind: 'exit', entryZone: 0, zone: 1, fare: 200, paidAtEntry: 200 } };
    expect(formatTapResult(outcome(exit, 4700))).toBe('APPROVED ¥0.00 — balance ¥47.00');
  });
  it('approves a recovered earlier tap, with the balance when recovery read it', () => {
    expect(formatTapResult(outcome({ kind: 'recovered', cardNumber: CARD, record: RECORD, balanceAfter: 4700 }, 4700))).toBe(
      'APPROVED ¥2.00 (EARLIER TAP) — balance ¥47.00',
    );
    expect(formatTapResult(outcome({ kind: 'recovered', cardNumber: CARD, record: RECORD, balanceAfter: undefined }))).toBe('APPROVED ¥2.00 (EARLIER TAP)');
  });
  it('shows the balance of a purse that is short, when it could be read', () => {
    expect(formatTapResult(outcome(declined('INSUFFICIENT_FUNDS'), 120))).toBe('INSUFFICIENT FUNDS — balance ¥1.20');
    expect(formatTapResult(outcome(declined('INSUFFICIENT_FUNDS')))).toBe('INSUFFICIENT FUNDS');
  });
  it('tells a blocked card from a hotlisted one blocked now', () => {
    expect(formatTapResult(outcome(declined('CARD_BLOCKED')))).toBe('CARD BLOCKED');
    expect(formatTapResult(outcome(declined('CARD_HOTLISTED', true)))).toBe('HOTLISTED — CARD BLOCKED');
    expect(formatTapResult(outcome(declined('CARD_HOTLISTED', false)))).toBe('HOTLISTED — CARD REFUSED');
  });
  it('asks for the card again when it left too early', () => {
    expect(formatTapResult(outcome({ kind: 'tapAgain', cardNumber: CARD, answerLost: true, detail: '' }))).toBe('CARD REMOVED TOO EARLY — TAP AGAIN');
    expect(formatTapResult(outcome(declined('CARD_REMOVED')))).toBe('CARD REMOVED TOO EARLY — TAP AGAIN');
  });
  it('names the risk refusals and card refusals', () => {
    expect(formatTapResult(outcome(declined('OFFLINE_CAP_REACHED')))).toBe('OFFLINE LIMIT REACHED — SEE STAFF');
    expect(formatTapResult(outcome(declined('HOTLIST_STALE')))).toBe('TERMINAL OFFLINE TOO LONG — SEE STAFF');
    expect(formatTapResult(outcome(declined('CARD_EXPIRED')))).toBe('CARD EXPIRED');
    expect(formatTapResult(outcome(declined('MAC1_REJECTED')))).toBe('CARD NOT ACCEPTED HERE');
  });
  it('does not let a card whose MAC2 failed through', () => {
    const suspect: TapOutcome = { kind: 'suspect', cardNumber: CARD, reason: 'MAC2_INVALID', amount: 200, balanceAfter: 4700, record: RECORD, journey: { kind: 'flat' } };
    expect(formatTapResult(outcome(suspect, 4700))).toBe('CARD NOT VERIFIED — SEE STAFF');
  });
  it('reports a terminal fault with its cause', () => {
    const error = new Error('PSAM gone');
    error.name = 'TransportError';
    expect(formatTapResult({ kind: 'fault', error })).toBe('TERMINAL FAULT — TAP AGAIN (TransportError: PSAM gone)');
  });
});

describe('formatAge', () => {
  it('rounds down to the largest unit', () => {
    expect(formatAge(999)).toBe('0 s');
    expect(formatAge(59_999)).toBe('59 s');
    expect(formatAge(60_000)).toBe('1 min');
    expect(formatAge(3_599_999)).toBe('59 min');
    expect(formatAge(7_200_000)).toBe('2 h');
    expect(formatAge(3 * 86_400_000)).toBe('3 d');
    expect(formatAge(-5000)).toBe('0 s');
  });
});

const COUNTS: TapCounts = {
  taps: 14,
  approved: 10,
  declined: { INSUFFICIENT_FUNDS: 1, CARD_BLOCKED: 1 },
  tapAgain: 1,
  suspect: 0,
  recovered: 1,
  faults: 1,
  collected: 2200,
};

describe('formatStatusLine', () => {
  it('shows mode, terminal, state, hotlist age, backlog and counters', () => {
    const status: AgentStatus = {
      mode: 'gate',
      state: 'waitingForCard',
      terminal: '000000000001',
      hotlist: { version: 12, lastSyncAt: new Date(FIXED_NOW.getTime() - 3_000) },
      uploadBacklog: 4,
      counts: COUNTS,
    };
    expect(formatStatusLine(status, FIXED_NOW)).toBe(
      'GATE 000000000001 · present card · hotlist v12, 3 s old · backlog 4 · approved 10 · declined 2 · tap again 1 · recovered 1 · faults 1 · collected ¥22.00',
    );
  });
  it('shows a POS without SAM, a hotlist never synced and one not followed', () => {
    const empty: TapCounts = { taps: 0, approved: 0, declined: {}, tapAgain: 0, suspect: 0, recovered: 0, faults: 0, collected: 0 };
    const base: AgentStatus = { mode: 'pos', state: 'waitingForSam', terminal: undefined, hotlist: { version: 0, lastSyncAt: undefined }, uploadBacklog: 0, counts: empty };
    expect(formatStatusLine(base, FIXED_NOW)).toBe(
      'POS (no SAM) · insert SAM · hotlist v0, never synced · backlog 0 · approved 0 · declined 0 · tap again 0 · collected ¥0.00',
    );
    expect(formatStatusLine({ ...base, state: 'waitingForAmount', hotlist: undefined }, FIXED_NOW)).toBe(
      'POS (no SAM) · enter amount · hotlist off · backlog 0 · approved 0 · declined 0 · tap again 0 · collected ¥0.00',
    );
  });
});

describe('formatSummary', () => {
  it('lists the counters, then declines by reason', () => {
    expect(formatSummary(COUNTS)).toEqual([
      'taps 14: approved 10, declined 2, tap again 1, recovered 1, faults 1, collected ¥22.00',
      '  declined CARD_BLOCKED: 1',
      '  declined INSUFFICIENT_FUNDS: 1',
    ]);
  });
});

describe('StatusDisplay', () => {
  const status = (state: AgentStatus['state'], approved: number): AgentStatus => ({
    mode: 'gate',
    state,
    terminal: '000000000001',
    hotlist: undefined,
    uploadBacklog: 0,
    counts: { taps: approved, approved, declined: {}, tapAgain: 0, suspect: 0, recovered: 0, faults: 0, collected: approved * 200 },
  });
  const LINE = (state: string, approved: number): string =>
    `GATE 000000000001 · ${state} · hotlist off · backlog 0 · approved ${approved} · declined 0 · tap again 0 · collected ${formatFen(approved * 200)}`;

  it('redraws the status line in place on a TTY, outcome lines above it', () => {
    const written: string[] = [];
    let now = status('waitingForCard', 0);
    const display = new StatusDisplay({ isTTY: true, write: (t) => written.push(t) }, () => now, () => FIXED_NOW);
    display.refresh();
    now = status('waitingForRemoval', 1);
    display.line('APPROVED ¥2.00 — balance ¥47.00');
    display.stop();
    expect(written).toEqual([
      `\r\x1b[2K${LINE('present card', 0)}`,
      '\r\x1b[2K',
      'APPROVED ¥2.00 — balance ¥47.00\n',
      `\r\x1b[2K${LINE('remove card', 1)}`,
      `\r\x1b[2K${LINE('remove card', 1)}`,
      '\n',
    ]);
  });

  it('prints plain lines elsewhere: a status line per resting state that changed', () => {
    const written: string[] = [];
    let now = status('waitingForCard', 0);
    const display = new StatusDisplay({ write: (t) => written.push(t) }, () => now, () => FIXED_NOW);
    display.refresh();
    display.refresh();
    now = status('processing', 0);
    display.refresh();
    now = status('waitingForRemoval', 1);
    display.line('APPROVED ¥2.00 — balance ¥47.00');
    now = status('waitingForCard', 1);
    display.refresh();
    expect(written).toEqual([`${LINE('present card', 0)}\n`, 'APPROVED ¥2.00 — balance ¥47.00\n', `${LINE('present card', 1)}\n`]);
  });
});
