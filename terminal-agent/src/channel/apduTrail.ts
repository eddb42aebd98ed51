/**
 * The audit trail of a channel: every C-APDU/R-APDU pair in order (house style item 6), stored
 * later with each offline payment. Commands that carry a PIN or PUK (VERIFY `20`, CHANGE
 * REFERENCE DATA `24`, RESET RETRY COUNTER `2C`) are masked before they enter the trail: their
 * data bytes become `2A` ("*"), header and Lc stay, so the trail still shows what was sent.
 */
import { maskCommandApdu } from '@citycard/protocols';

export interface ApduTrailEntry {
  /** Position in the channel's trail, from 0. */
  readonly seq: number;
  /** Command name from the command family, e.g. `VERIFY`. */
  readonly name: string;
  /** When the command was sent (the channel's clock). */
  readonly at: Date;
  /** The C-APDU as sent, with PIN-bearing data masked. */
  readonly command: Buffer;
  /** The R-APDU (data ‖ SW1 SW2), or undefined when the exchange failed at the transport. */
  readonly response: Buffer | undefined;
  /** Whether `command` was masked. */
  readonly masked: boolean;
}

export { PIN_BEARING_INS, maskCommandApdu } from '@citycard/protocols';

/** An append-only list of exchanges. */
export class ApduTrail {
  readonly #entries: ApduTrailEntry[] = [];

  /** Record one exchange; the command is masked here, the buffers are copied. */
  record(name: string, at: Date, apdu: Uint8Array, response: Uint8Array | undefined): ApduTrailEntry {
    const { command, masked } = maskCommandApdu(apdu);
    const entry: ApduTrailEntry = Object.freeze({
      seq: this.#entries.length,
      name,
      at: new Date(at.getTime()),
      command,
      response: response === undefined ? undefined : Buffer.from(response),
      masked,
    });
    this.#entries.push(entry);
    return entry;
  }

  /** Number of entries so far; use it as a mark for {@link since}. */
  get length(): number {
    return this.#entries.length;
  }

  /** All entries, oldest first. */
  entries(): readonly ApduTrailEntry[] {
    return this.#entries.slice();
  }

  /** Entries from position `mark` (0..length) on. Throws `RangeError` for a mark outside that range. */
  since(mark: number): readonly ApduTrailEntry[] {
    if (!Number.isInteger(mark) || mark < 0 || mark > this.#entries.length) {
      throw new RangeError(`trail mark must be 0 to ${this.#entries.length}, got ${mark}`);
    }
    return this.#entries.slice(mark);
  }
}
