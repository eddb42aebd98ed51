/**
 * Clearing and the hotlist: whether a card was listed when a record was made
 * (HOTLISTED_AFTER_BLOCK), and listing the cards clearing flagged as cloned.
 */
import type { ClearingRepository, HotlistHistoryEntry } from '../../data/clearingRepository.js';
import type { ClearingDeps } from './ports.js';
import { wallClockOf } from './wallClock.js';

/** The hotlist histories of one call's cards, compared on the terminals' wall clock. */
export class HotlistTimes {
  readonly #histories: ReadonlyMap<string, readonly HotlistHistoryEntry[]>;
  readonly #zone: string;
  readonly #walls = new Map<string, string>();

  constructor(histories: ReadonlyMap<string, readonly HotlistHistoryEntry[]>, timeZone: string) {
    this.#histories = histories;
    this.#zone = timeZone;
  }

  /** The listing in force at `txTime` (`YYYYMMDDhhmmss`): the card's latest change at or before it, when that listed it. */
  listingAt(cardNumber: string, txTime: string): HotlistHistoryEntry | undefined {
    const history = this.#histories.get(cardNumber);
    if (history === undefined) return undefined;
    let listing: HotlistHistoryEntry | undefined;
    for (const entry of history) {
      if (this.#wall(entry.createdAt) > txTime) break;
      listing = entry.action === 'add' ? entry : undefined;
    }
    return listing;
  }

  #wall(iso: string): string {
    let wall = this.#walls.get(iso);
    if (wall === undefined) {
      wall = wallClockOf(new Date(iso), this.#zone);
      this.#walls.set(iso, wall);
    }
    return wall;
  }
}

/** Lists every flagged card not yet on the hotlist; a failure stays pending for the next call. */
export async function hotlistFlagged(deps: ClearingDeps, clearing: ClearingRepository): Promise<{ hotlisted: string[]; pending: number }> {
  const hotlisted: string[] = [];
  let pending = 0;
  for (const flag of clearing.pendingHotlist()) {
    try {
      await deps.hotlist.hotlistClone(flag.cardNumber);
      clearing.markHotlisted(flag.cardNumber, deps.clock().toISOString());
      hotlisted.push(flag.cardNumber);
    } catch (err) {
      // The flag stays pending and the next call lists it again.
      pending += 1;
      deps.onHotlistError?.(err, flag.cardNumber);
    }
  }
  return { hotlisted, pending };
}
