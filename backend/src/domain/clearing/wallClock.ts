/**
 * Records carry the terminal's wall-clock date and time (`YYYYMMDD`, `hhmmss`) in the city's zone;
 * the ledger and the hotlist use UTC instants. These convert between the two. Pure.
 */
import { formatDateTime } from '@citycard/protocols';

/** The zone when none is configured. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** `YYYYMMDDhhmmss` of an instant in `timeZone`. Throws `RangeError` for an invalid instant or zone. */
export function wallClockOf(instant: Date, timeZone: string): string {
  const { date, time } = formatDateTime(instant, timeZone);
  return date + time;
}

const DAY_MS = 86_400_000;

const fieldsOf = (dt: string): number => Date.UTC(+dt.slice(0, 4), +dt.slice(4, 6) - 1, +dt.slice(6, 8), +dt.slice(8, 10), +dt.slice(10, 12), +dt.slice(12, 14));

/**
 * Converts wall-clock times of one zone to instants, caching the zone's offset per local hour
 * (offsets change on the hour or half hour, never within a minute of one record).
 */
export class WallClock {
  readonly #zone: string;
  readonly #offsets = new Map<string, number>();

  constructor(timeZone: string = DEFAULT_TIME_ZONE) {
    // Fails here, on an unknown zone, rather than on the first record.
    wallClockOf(new Date(0), timeZone);
    this.#zone = timeZone;
  }

  get timeZone(): string {
    return this.#zone;
  }

  /**
   * The instant of `YYYYMMDDhhmmss` (valid fields) as Date.toISOString() writes it. A local time
   * that occurs twice (clocks going back) is the first; one that never occurs (clocks going
   * forward) is read with the offset before the change.
   */
  isoOf(dt: string): string {
    const local = fieldsOf(dt);
    if (this.#zone === 'UTC') return new Date(local).toISOString();
    const hourKey = dt.slice(0, 10);
    let offset = this.#offsets.get(hourKey);
    if (offset === undefined) {
      // Zones change offset at most a few times a year: a day either side sees both offsets of a change.
      const before = this.#offsetAt(local - DAY_MS);
      const after = this.#offsetAt(local + DAY_MS);
      const fits = (o: number): boolean => fieldsOf(wallClockOf(new Date(local - o), this.#zone)) === local;
      // The larger offset is the earlier instant.
      offset = before === after ? before : ([Math.max(before, after), Math.min(before, after)].find(fits) ?? before);
      this.#offsets.set(hourKey, offset);
    }
    return new Date(local - offset).toISOString();
  }

  /** Zone offset (local - UTC, ms) at an instant. */
  #offsetAt(instant: number): number {
    const at = Math.floor(instant / 1000) * 1000;
    return fieldsOf(wallClockOf(new Date(at), this.#zone)) - at;
  }
}
