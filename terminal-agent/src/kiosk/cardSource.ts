/**
 * Where the kiosk's citizen card comes from. A `KioskCardSource` waits for a card in the card
 * slot; a reader manager (`waitForCard(signal)` resolving a slot with its transport) fits as it is.
 * `slotCardSource` makes one of a single `CardTransport` (a `PcscAdapter`, an `InProcessAdapter`)
 * by watching its presence.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { CardTransport } from '../transport/cardTransport.js';

export interface KioskCardSource {
  /** Resolves when a card is in the slot (not yet powered). Rejects with the signal's reason when aborted. */
  waitForCard(signal?: AbortSignal): Promise<{ readonly transport: CardTransport }>;
}

/** How often a slot's presence is looked at, ms (pcscd itself polls about every 400 ms). */
export const PRESENCE_POLL_MS = 150;

/** A source over one slot: resolves once `transport.isPresent()` says a card is in. */
export function slotCardSource(transport: CardTransport, pollMs: number = PRESENCE_POLL_MS): KioskCardSource {
  return {
    async waitForCard(signal?: AbortSignal) {
      while (!(await transport.isPresent())) await sleep(pollMs, undefined, { signal });
      return { transport };
    },
  };
}

/** Whether `x` is a transport (has `transmit`) rather than a source. */
export function isCardTransport(x: CardTransport | KioskCardSource): x is CardTransport {
  return typeof (x as Partial<CardTransport>).transmit === 'function';
}

/** Resolves when the card has left `transport`'s slot (a failing presence check counts as gone). Rejects when aborted. */
export async function waitForRemoval(transport: CardTransport, signal?: AbortSignal, pollMs: number = PRESENCE_POLL_MS): Promise<void> {
  while (await isPresent(transport)) await sleep(pollMs, undefined, { signal });
}

/** `transport.isPresent()`, false when the check itself fails (reader gone, transport closed). */
export async function isPresent(transport: CardTransport): Promise<boolean> {
  try {
    return await transport.isPresent();
  } catch {
    return false;
  }
}
