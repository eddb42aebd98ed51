/**
 * The APDU audit trail of one purse transaction (house style item 6): every C-APDU/R-APDU pair
 * with the citizen card and with the PSAM, in the order they happened, as plain data (hex
 * strings, ISO time stamps) so it can be stored with the payment and uploaded as JSON.
 */
import type { CardCommand } from '@citycard/protocols';
import { toHex } from '@citycard/protocols';
import type { ApduChannel } from '../channel/apduChannel.js';
import type { ApduTrailEntry } from '../channel/apduTrail.js';

/** Which slot an exchange went to. */
export type PurseSlot = 'card' | 'psam';

export interface PurseTrailEntry {
  /** Position in the transaction's trail, from 0. */
  readonly seq: number;
  readonly slot: PurseSlot;
  /** Command name, e.g. `DEBIT FOR PURCHASE`. */
  readonly name: string;
  /** When the command was sent, ISO 8601. */
  readonly at: string;
  /** The C-APDU, upper-case hex. */
  readonly command: string;
  /** The R-APDU (data ‖ SW1 SW2), upper-case hex; null when the exchange failed at the transport. */
  readonly response: string | null;
}

/** Collects the exchanges of one transaction across the card and PSAM channels. */
export class TransactionTrail {
  readonly #channels: Partial<Record<PurseSlot, ApduChannel>>;
  readonly #entries: PurseTrailEntry[];

  /** `previous`: entries of an earlier part of the same transaction (recovery continues its trail). */
  constructor(channels: Partial<Record<PurseSlot, ApduChannel>>, previous: readonly PurseTrailEntry[] = []) {
    this.#channels = channels;
    this.#entries = previous.map((entry) => ({ ...entry }));
  }

  /**
   * Send `command` on the channel of `slot` and record the exchange, whether it succeeds or
   * throws. Throws what `ApduChannel.send` throws, or `Error` for a slot without a channel.
   */
  async send<T>(slot: PurseSlot, command: CardCommand<T>): Promise<T> {
    const channel = this.#channels[slot];
    if (channel === undefined) throw new Error(`no ${slot} channel in this transaction`);
    const mark = channel.trailMark;
    try {
      return await channel.send(command);
    } finally {
      for (const entry of channel.trailSince(mark)) this.#append(slot, entry);
    }
  }

  /** A copy of the entries so far. */
  entries(): PurseTrailEntry[] {
    return this.#entries.map((entry) => ({ ...entry }));
  }

  #append(slot: PurseSlot, entry: ApduTrailEntry): void {
    this.#entries.push({
      seq: this.#entries.length,
      slot,
      name: entry.name,
      at: entry.at.toISOString(),
      command: toHex(entry.command),
      response: entry.response === undefined ? null : toHex(entry.response),
    });
  }
}
