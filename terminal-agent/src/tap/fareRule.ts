/**
 * What a tap costs. A `flat` rule charges the same amount at every tap (a bus, a kiosk). A
 * `zoned` rule prices a journey between zones from the card's own log (EF 0x18), so it works
 * offline at any gate of the network:
 *
 * - the newest purchase in the log is the journey's entry when it was made at a terminal of
 *   another zone, no longer than `entryWindowMinutes` before this tap, and was itself an entry:
 *   this tap is then the exit, and charges `table[entryZone][zone]` minus what the entry charged,
 *   never below 0 (0 debits nothing: see below);
 * - otherwise this tap is an entry and charges the base fare `table[zone][zone]`.
 *
 * Whether a logged purchase was an entry or an exit is not written on the card; it follows from
 * the same rule applied to the purchases before it. Walking back, each purchase that is within
 * the window of the one before it and at a terminal of another zone is an exit of that one; the
 * chain ends at a purchase that is not, which is an entry. So the newest purchase is an entry
 * when the chain behind it has an even number of such links. The log holds 10 records: a chain
 * that runs to its end is taken to start there with an entry. A purchase at a terminal without a
 * zone (`zoneOfTerminal` answers undefined, e.g. a shop) ends any journey; loads are skipped.
 *
 * An exit that owes nothing (the entry already paid the whole fare) moves no money and writes
 * nothing on the card: the tap is approved with amount 0. The journey then stays open until its
 * window ends, so further taps at other zones within the window are priced as exits of the same
 * entry (a transfer allowance no longer than the window).
 *
 * Times are compared as wall-clock times of the terminal's zone (the card's log holds local
 * `YYYYMMDD hhmmss`): across a daylight-saving change the window is an hour longer or shorter.
 */
import { EP_LOG_RECORDS, type EpLogRecord } from '@citycard/protocols';
import { FareRuleError } from './tapErrors.js';

export interface FlatFare {
  readonly kind: 'flat';
  /** Fen, 1 to 2^32-1. */
  readonly amount: number;
}

export interface ZonedFare {
  readonly kind: 'zoned';
  /** This terminal's zone: an index of `table`. */
  readonly zone: number;
  /**
   * The zone of a terminal (12 upper-case hex digits, as in the log), or undefined for a
   * terminal outside the zoned network. An answer that is not an index of `table` counts as
   * undefined.
   */
  readonly zoneOfTerminal: (terminal: string) => number | undefined;
  /** `table[from][to]`: the fare in fen (0 to 2^32-1) of a journey; a square matrix. */
  readonly table: readonly (readonly number[])[];
  /** How long after its entry an exit belongs to the same journey, in minutes (> 0). */
  readonly entryWindowMinutes: number;
}

export type FareRule = FlatFare | ZonedFare;

/** Which part of a journey a tap was. */
export type Journey =
  | { readonly kind: 'flat' }
  | { readonly kind: 'entry'; readonly zone: number }
  | {
      readonly kind: 'exit';
      readonly entryZone: number;
      readonly zone: number;
      /** `table[entryZone][zone]`. */
      readonly fare: number;
      /** What the entry charged. */
      readonly paidAtEntry: number;
    };

export interface FareDecision {
  /** Fen to debit now, 0 to 2^32-1 (0: nothing is debited). */
  readonly amount: number;
  readonly journey: Journey;
}

/** The newest purchase logged on the card (index 0) and older ones; undefined past the last. */
export type PurchaseLogReader = (index: number) => Promise<EpLogRecord | undefined>;

const MAX_AMOUNT = 0xffffffff;

/** Throws `FareRuleError` naming the field when `rule` is malformed (see the field comments). */
export function checkFareRule(rule: FareRule): void {
  if (rule.kind === 'flat') {
    if (!Number.isInteger(rule.amount) || rule.amount < 1 || rule.amount > MAX_AMOUNT) {
      throw new FareRuleError('amount', `must be an integer 1 to ${MAX_AMOUNT}, got ${rule.amount}`);
    }
    return;
  }
  if (rule.kind !== 'zoned') throw new FareRuleError('kind', `must be 'flat' or 'zoned'`);
  const n = rule.table.length;
  if (n === 0) throw new FareRuleError('table', 'must have at least one zone');
  rule.table.forEach((row, from) => {
    if (row.length !== n) throw new FareRuleError('table', `row ${from} has ${row.length} fares, expected ${n}`);
    row.forEach((fare, to) => {
      if (!Number.isInteger(fare) || fare < 0 || fare > MAX_AMOUNT) {
        throw new FareRuleError('table', `fare [${from}][${to}] must be an integer 0 to ${MAX_AMOUNT}, got ${fare}`);
      }
    });
  });
  if (!isZone(rule, rule.zone)) throw new FareRuleError('zone', `must be an index of the table (0 to ${n - 1}), got ${rule.zone}`);
  if (!Number.isFinite(rule.entryWindowMinutes) || rule.entryWindowMinutes <= 0) {
    throw new FareRuleError('entryWindowMinutes', `must be a positive number, got ${rule.entryWindowMinutes}`);
  }
  if (typeof rule.zoneOfTerminal !== 'function') throw new FareRuleError('zoneOfTerminal', 'must be a function');
}

/**
 * Price a tap under `rule` at wall-clock `date` (`YYYYMMDD`) and `time` (`hhmmss`), reading the
 * card's purchases through `log` only as far as needed (at most 10). The rule must have passed
 * {@link checkFareRule}. Throws what `log` throws.
 */
export async function decideFare(rule: FareRule, log: PurchaseLogReader, date: string, time: string): Promise<FareDecision> {
  if (rule.kind === 'flat') return { amount: rule.amount, journey: { kind: 'flat' } };
  const entry: FareDecision = { amount: baseFare(rule), journey: { kind: 'entry', zone: rule.zone } };
  const newest = await log(0);
  if (newest === undefined) return entry;
  const entryZone = zoneOf(rule, newest.terminal);
  if (entryZone === undefined || entryZone === rule.zone || !withinWindow(rule, newest, { date, time })) return entry;

  let links = 0;
  let later = newest;
  let laterZone = entryZone;
  for (let index = 1; index < EP_LOG_RECORDS; index++) {
    const earlier = await log(index);
    if (earlier === undefined) break;
    const earlierZone = zoneOf(rule, earlier.terminal);
    if (earlierZone === undefined || earlierZone === laterZone || !withinWindow(rule, earlier, later)) break;
    links++;
    later = earlier;
    laterZone = earlierZone;
  }
  // An odd chain makes the newest purchase an exit: this tap starts a new journey.
  if (links % 2 === 1) return entry;
  const fare = rule.table[entryZone]![rule.zone]!;
  return {
    amount: Math.max(0, fare - newest.amount),
    journey: { kind: 'exit', entryZone, zone: rule.zone, fare, paidAtEntry: newest.amount },
  };
}

function baseFare(rule: ZonedFare): number {
  return rule.table[rule.zone]![rule.zone]!;
}

function isZone(rule: ZonedFare, zone: number | undefined): zone is number {
  return Number.isInteger(zone) && zone !== undefined && zone >= 0 && zone < rule.table.length;
}

function zoneOf(rule: ZonedFare, terminal: string): number | undefined {
  const zone = rule.zoneOfTerminal(terminal);
  return isZone(rule, zone) ? zone : undefined;
}

/** Whether `later` is 0 to `entryWindowMinutes` after `earlier`, as wall-clock times. */
function withinWindow(rule: ZonedFare, earlier: WallTime, later: WallTime): boolean {
  const age = wallMs(later) - wallMs(earlier);
  return age >= 0 && age <= rule.entryWindowMinutes * 60_000;
}

interface WallTime {
  readonly date: string;
  readonly time: string;
}

function wallMs({ date, time }: WallTime): number {
  const n = (s: string, from: number, to: number): number => Number(s.slice(from, to));
  return Date.UTC(n(date, 0, 4), n(date, 4, 6) - 1, n(date, 6, 8), n(time, 0, 2), n(time, 2, 4), n(time, 4, 6));
}
