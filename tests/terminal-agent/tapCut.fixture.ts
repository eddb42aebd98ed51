/**
 * What the tap suites and the power-cut child share, with narrow imports so the child starts
 * fast: the test clock, a card slot that can be cut at any APDU, and the power-cut test's files.
 */
import { join } from 'node:path';
import { ApduChannel } from '../../terminal-agent/src/channel/apduChannel.js';
import { CardRemovedError } from '../../terminal-agent/src/errors.js';
import type { CardTransport } from '../../terminal-agent/src/transport/cardTransport.js';
import type { InProcessAdapter } from '../../terminal-agent/src/transport/inProcessAdapter.js';

/** 2026-11-23 09:30:00 UTC: the cards' effective date. */
export const TAP_TIME = new Date('2026-11-23T09:30:00.000Z');
export const TIME_ZONE = 'UTC';

/** A channel whose trail entries carry the tap's clock. */
export function channelOf(transport: CardTransport, clock: () => Date): ApduChannel {
  return new ApduChannel(transport, { clock });
}

/** Where a cut slot loses its card: before APDU `at` goes out, or after the card ran it (answer lost). */
export type CutMode = 'before' | 'answerLost';

/**
 * A card slot that loses its card at card APDU `at` (0-based) of the next exchanges, as `mode`
 * says, then behaves as an empty slot until the card is inserted again.
 */
export class CutSlot implements CardTransport {
  readonly name = 'card';
  #sent = 0;
  #plan: { at: number; mode: CutMode } | undefined;
  fired = false;

  constructor(readonly slot: InProcessAdapter) {}

  /** Arm a cut at APDU `at` counted from now. */
  cutAt(at: number, mode: CutMode): void {
    this.#sent = 0;
    this.fired = false;
    this.#plan = { at, mode };
  }

  disarm(): void {
    this.#plan = undefined;
  }

  /** Card APDUs sent since the last `cutAt` (or since the slot was made). */
  get sent(): number {
    return this.#sent;
  }

  /** Start counting from 0 without arming a cut. */
  resetCount(): void {
    this.#sent = 0;
  }

  powerOn(): Promise<Buffer> {
    return this.slot.powerOn();
  }
  isPresent(): Promise<boolean> {
    return this.slot.isPresent();
  }
  close(): Promise<void> {
    return this.slot.close();
  }
  async transmit(command: Uint8Array): Promise<Buffer> {
    const index = this.#sent++;
    const plan = this.#plan;
    const cutHere = plan !== undefined && !this.fired && index === plan.at;
    if (cutHere && plan.mode === 'before') this.#cut();
    const response = await this.slot.transmit(command);
    if (cutHere && plan.mode === 'answerLost') {
      this.#cut();
      throw new CardRemovedError('the card left before its answer arrived');
    }
    return response;
  }

  #cut(): void {
    this.fired = true;
    this.slot.remove();
  }
}

// The power-cut test's files and clock, shared by the test and its child process.

/** Where the child kills itself: after the intent is written, after the card ran DEBIT, after the record is stored. */
export type DiePoint = 'afterIntent' | 'afterDebit' | 'afterRecord';
export const DIE_POINTS: readonly DiePoint[] = ['afterIntent', 'afterDebit', 'afterRecord'];
/** Taps of one run are a second apart; a run starts an hour after the previous one. */
export const RUN_SPACING_MS = 3_600_000;
/** Longer than the whole test's clock: every torn tap is recovered, none expires. */
export const TEST_RECOVERY_WINDOW_MS = 30 * 24 * RUN_SPACING_MS;
export const cardDir = (dir: string, index: number): string => join(dir, `card-${index}`);
export const psamDir = (dir: string): string => join(dir, 'psam');
export const storeFile = (dir: string): string => join(dir, 'records.sqlite');
