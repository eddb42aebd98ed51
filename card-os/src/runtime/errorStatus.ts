/**
 * The one place that decides which status word a thrown error becomes. Everything unexpected is
 * `6F00`: a card answers, it never crashes.
 */
import { ApduFormatError, ProtocolError, SW } from '@citycard/protocols';
import { StorageError } from '../storage/index.js';
import { CardError } from './cardError.js';

/**
 * `CardError` and `ApduFormatError`: their own status word; any other protocol error that
 * carries a status word (BCD, ID data: `6A80`): that one; `StorageError` (including a power
 * loss): `6581` memory failure; anything else: undefined (the caller answers `6F00`).
 */
export function statusWordOf(err: unknown): number | undefined {
  if (err instanceof CardError || err instanceof ApduFormatError) return err.sw;
  if (err instanceof StorageError) return SW.MEMORY_FAILURE;
  if (err instanceof ProtocolError) {
    const sw = (err as { sw?: unknown }).sw;
    if (typeof sw === 'number' && Number.isInteger(sw) && sw > 0 && sw <= 0xffff) return sw;
  }
  return undefined;
}
