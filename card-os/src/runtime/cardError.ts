/**
 * The one exception a command handler throws to answer with a status word. The runtime's
 * dispatcher turns it into `SW1 SW2` (no data); handlers on the hot good path return instead.
 */
import { swMessage } from '@citycard/protocols';

export class CardError extends Error {
  override readonly name: string = 'CardError';
  /** The status word the card answers with, 0000 to FFFF. */
  readonly sw: number;
  /** Throws `RangeError` for a status word outside 0000 to FFFF. */
  constructor(sw: number, message?: string, options?: { cause?: unknown }) {
    if (!Number.isInteger(sw) || sw < 0 || sw > 0xffff) throw new RangeError(`bad status word ${sw}`);
    super(message ?? swMessage(sw), options);
    this.sw = sw;
  }
}
