/**
 * Errors of the EP application's data, typed by cause: issuer data or limits that cannot be
 * encoded (`EpDataError`), and the one status a handler answers for a damaged stored value.
 */
import { ProtocolError, SW } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';

/** EF 0x15 or EF 0x12 content that is not as spec §4 says; `field` names the culprit. */
export class EpDataError extends ProtocolError {
  override readonly name: string = 'EpDataError';
  /** Status word a card answers with when a command carries such data: 6A80 incorrect data. */
  readonly sw: number = SW.INCORRECT_DATA;
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * `6581` memory failure for a stored value of the wrong shape (never written by this code): the
 * purse refuses to act on a balance, counter or key it cannot read.
 */
export function corruptValue(storeKey: string): CardError {
  return new CardError(SW.MEMORY_FAILURE, `stored value ${storeKey} is damaged`);
}
