/**
 * The audit trail of a channel: every C-APDU/R-APDU pair in order (house style item 6), stored
 * later with each offline payment. Commands that carry a PIN or PUK (VERIFY `20`, CHANGE
 * REFERENCE DATA `24`, RESET RETRY COUNTER `2C`) are masked before they enter the trail: their
 * data bytes become `2A` ("*"), header and Lc stay, so the trail still shows what was sent.
 */
import { parseCommandApdu } from '@citycard/protocols';

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

/** INS of the commands whose data is a PIN or PUK. */
export const PIN_BEARING_INS: ReadonlySet<number> = new Set([0x20, 0x24, 0x2c]);

const MASK_BYTE = 0x2a;

/**
 * A copy of `apdu` safe to store and log: for INS 20, 24 and 2C every data byte is replaced by
 * `2A`. Other commands are copied unchanged. Never throws: an APDU that does not parse and has
 * a PIN-bearing INS is masked after its 4-byte header.
 */
export function maskCommandApdu(apdu: Uint8Array): { command: Buffer; masked: boolean } {
  const command = Buffer.from(apdu);
  if (command.length < 5 || !PIN_BEARING_INS.has(command[1]!)) return { command, masked: false };
  let start = 4;
  let end = command.length;
  try {
    const parsed = parseCommandApdu(command);
    if (parsed.data.length === 0) return { command, masked: false };
    start = 5;
    end = 5 + parsed.data.length;
  } catch {
    // Not a well-formed APDU: mask everything after the header rather than risk leaking a PIN.
  }
  command.fill(MASK_BYTE, start, end);
  return { command, masked: true };
}

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
