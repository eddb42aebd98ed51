/**
 * Errors of the signed hotlist message (docs/hotlist.md).
 */
import { ProtocolError } from '../errors.js';

/** Why a hotlist message was refused. */
export type HotlistMessageReason =
  | 'MALFORMED'
  | 'SIGNATURE_INVALID'
  | 'BASE_VERSION_MISMATCH'
  | 'VERSION_REGRESSION';

/** A hotlist message that is malformed, not signed by the backend, or does not fit the local list. */
export class HotlistMessageError extends ProtocolError {
  override readonly name: string = 'HotlistMessageError';
  readonly reason: HotlistMessageReason;
  constructor(reason: HotlistMessageReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
