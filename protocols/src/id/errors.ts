/**
 * Errors of the ID application's data objects (card interface spec §3).
 */
import { ProtocolError } from '../errors.js';

/**
 * An ID data object (card info `E1`, cardholder `E2`) that is not exactly as §3 describes it, or a
 * value that cannot be encoded into one. `field` names the offending field when there is one.
 */
export class IdDataError extends ProtocolError {
  override readonly name: string = 'IdDataError';
  /** Status word a card answers with when a command carries such data: 6A80 incorrect data. */
  readonly sw: number = 0x6a80;
  /** The field at fault (`cardNumber`, `expiryDate`, …), or undefined for the template itself. */
  readonly field: string | undefined;
  constructor(message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}
