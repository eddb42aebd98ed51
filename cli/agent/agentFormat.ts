/**
 * What the gate and POS screens print, as pure functions of the runner's reports and status:
 * one line per tap ("APPROVED ¥2.00 — balance ¥47.00"), a status line (mode, terminal, hotlist
 * version and age, upload backlog, counters) and the counters at the end.
 */
import type { DeclineReason } from '../../terminal-agent/src/purse/purseOutcomes.js';
import type { AgentStatus, RunnerState, TapResult } from '../../terminal-agent/src/agent/agentEvents.js';
import type { TapCounts } from '../../terminal-agent/src/agent/tapCounters.js';
import type { TapRiskRefusal } from '../../terminal-agent/src/tap/tapRisk.js';

/** Fen as yuan: 200 → `¥2.00`, 5 → `¥0.05`. Throws `RangeError` for a value that is not a safe integer ≥ 0. */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`an amount in fen is a whole number >= 0, got ${fen}`);
  return `¥${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/**
 * An amount the merchant typed, in yuan, as fen: `12.50` → 1250, `12` → 1200, `0.5` → 50 (up to
 * 8 digits before the point and 2 after; `¥` and spaces around are allowed). Throws `RangeError`
 * for anything else (a sign, an exponent, a third decimal).
 */
export function parseYuan(text: string): number {
  const m = /^\s*¥?\s*([0-9]{1,8})(?:\.([0-9]{1,2}))?\s*$/.exec(text);
  if (m === null) throw new RangeError(`"${text.trim()}" is not an amount in yuan (e.g. 12.50)`);
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

const TAP_AGAIN = 'CARD REMOVED TOO EARLY — TAP AGAIN';
const NOT_ACCEPTED = 'CARD NOT ACCEPTED HERE';

const DECLINE_TEXT: Record<DeclineReason | TapRiskRefusal, string> = {
  INSUFFICIENT_FUNDS: 'INSUFFICIENT FUNDS',
  CARD_BLOCKED: 'CARD BLOCKED',
  CARD_HOTLISTED: 'HOTLISTED — CARD REFUSED',
  OFFLINE_CAP_REACHED: 'OFFLINE LIMIT REACHED — SEE STAFF',
  HOTLIST_STALE: 'TERMINAL OFFLINE TOO LONG — SEE STAFF',
  CARD_REMOVED: TAP_AGAIN,
  CARD_EXPIRED: 'CARD EXPIRED',
  CARD_NOT_YET_VALID: 'CARD NOT YET VALID',
  NOT_A_PURSE: 'NOT A CITYCARD PURSE',
  CARD_LOCKED: 'CARD LOCKED',
  OVER_PURCHASE_LIMIT: 'OVER THE CARD\'S LIMIT',
  OVER_MAX_BALANCE: 'OVER THE CARD\'S MAXIMUM BALANCE',
  COUNTER_EXHAUSTED: 'CARD COUNTER EXHAUSTED — SEE STAFF',
  CARD_KEY_NOT_FOUND: NOT_ACCEPTED,
  PSAM_KEY_NOT_FOUND: NOT_ACCEPTED,
  MAC1_REJECTED: NOT_ACCEPTED,
  CARD_MAC1_REJECTED: NOT_ACCEPTED,
  MAC2_REJECTED: NOT_ACCEPTED,
  REFUSED_BY_CARD: 'REFUSED BY CARD',
};

/** The line a tap ends with. */
export function formatTapResult(result: TapResult): string {
  if (result.kind === 'fault') return `TERMINAL FAULT — TAP AGAIN (${result.error.name}: ${result.error.message})`;
  const { outcome, balance } = result;
  const withBalance = (text: string): string => (balance === undefined ? text : `${text} — balance ${formatFen(balance)}`);
  switch (outcome.kind) {
    case 'approved':
      return withBalance(`APPROVED ${formatFen(outcome.amount)}`);
    case 'recovered':
      return withBalance(`APPROVED ${formatFen(outcome.record.amount)} (EARLIER TAP)`);
    case 'suspect':
      return 'CARD NOT VERIFIED — SEE STAFF';
    case 'tapAgain':
      return TAP_AGAIN;
    case 'declined':
      if (outcome.reason === 'CARD_HOTLISTED' && outcome.blocked === true) return 'HOTLISTED — CARD BLOCKED';
      if (outcome.reason === 'INSUFFICIENT_FUNDS') return withBalance(DECLINE_TEXT.INSUFFICIENT_FUNDS);
      return DECLINE_TEXT[outcome.reason];
  }
}

/** An age in ms, rounded down: `0 s` … `59 s`, `1 min` … `59 min`, `1 h` … `23 h`, `1 d` …; negative ages are `0 s`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

const STATE_TEXT: Record<RunnerState, string> = {
  starting: 'starting',
  waitingForSam: 'insert SAM',
  waitingForAmount: 'enter amount',
  waitingForCard: 'present card',
  processing: 'processing',
  waitingForRemoval: 'remove card',
  stopping: 'stopping',
  stopped: 'stopped',
};

/**
 * One line: `GATE 000000000001 · present card · hotlist v12, 3 s old · backlog 4 · approved 10 ·
 * declined 2 · tap again 1 · collected ¥20.00` (suspect, recovered and fault counts only when
 * not 0). `now` dates the hotlist's age.
 */
export function formatStatusLine(status: AgentStatus, now: Date): string {
  const parts = [
    `${status.mode.toUpperCase()} ${status.terminal ?? '(no SAM)'}`,
    STATE_TEXT[status.state],
    `hotlist ${formatHotlist(status.hotlist, now)}`,
    `backlog ${status.uploadBacklog}`,
    ...formatCountParts(status.counts),
  ];
  return parts.join(' · ');
}

/** The counters as lines for the end of a run, declines by reason (alphabetical). */
export function formatSummary(counts: TapCounts): string[] {
  const lines = [`taps ${counts.taps}: ${formatCountParts(counts).join(', ')}`];
  for (const reason of Object.keys(counts.declined).sort()) lines.push(`  declined ${reason}: ${counts.declined[reason]}`);
  return lines;
}

function formatHotlist(hotlist: AgentStatus['hotlist'], now: Date): string {
  if (hotlist === undefined) return 'off';
  if (hotlist.lastSyncAt === undefined) return `v${hotlist.version}, never synced`;
  return `v${hotlist.version}, ${formatAge(now.getTime() - hotlist.lastSyncAt.getTime())} old`;
}

function formatCountParts(counts: TapCounts): string[] {
  const declined = Object.values(counts.declined).reduce((sum, n) => sum + n, 0);
  const parts = [`approved ${counts.approved}`, `declined ${declined}`, `tap again ${counts.tapAgain}`];
  if (counts.suspect > 0) parts.push(`suspect ${counts.suspect}`);
  if (counts.recovered > 0) parts.push(`recovered ${counts.recovered}`);
  if (counts.faults > 0) parts.push(`faults ${counts.faults}`);
  parts.push(`collected ${formatFen(counts.collected)}`);
  return parts;
}
