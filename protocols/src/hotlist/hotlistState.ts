/**
 * A terminal's local hotlist and the pure step that applies a verified message to it.
 */
import { HotlistMessageError } from './errors.js';
import type { HotlistMessage } from './hotlistMessage.js';
import { verifyHotlistMessage } from './hotlistSignature.js';
import type { KeyObject } from 'node:crypto';

/** What a terminal keeps: the version it holds (0 = nothing yet) and the listed card numbers. */
export interface HotlistState {
  readonly version: number;
  readonly cards: ReadonlySet<string>;
}

export const EMPTY_HOTLIST: HotlistState = { version: 0, cards: new Set() };

/**
 * The state after `message`; `state` is not changed. A delta must start at `state.version`; a
 * snapshot replaces the set and must not be older than `state.version`. Throws
 * `HotlistMessageError` `BASE_VERSION_MISMATCH` or `VERSION_REGRESSION`.
 */
export function applyHotlistMessage(state: HotlistState, message: HotlistMessage): HotlistState {
  if (message.kind === 'snapshot') {
    if (message.version < state.version) {
      throw new HotlistMessageError('VERSION_REGRESSION', `snapshot version ${message.version} is older than the local version ${state.version}`);
    }
    return { version: message.version, cards: new Set(message.cardNumbers) };
  }
  if (message.baseVersion !== state.version) {
    throw new HotlistMessageError('BASE_VERSION_MISMATCH', `delta starts at version ${message.baseVersion}, the local list is at ${state.version}`);
  }
  const cards = new Set(state.cards);
  for (const entry of message.entries) {
    if (entry.action === 'add') cards.add(entry.cardNumber);
    else cards.delete(entry.cardNumber);
  }
  return { version: message.version, cards };
}

/**
 * Verify then apply, the one call a terminal needs. Throws `HotlistMessageError` `MALFORMED`,
 * `SIGNATURE_INVALID`, `BASE_VERSION_MISMATCH` or `VERSION_REGRESSION`; on any throw the caller
 * keeps its old state (and fetches a delta from its version on a mismatch).
 */
export function applySignedHotlist(state: HotlistState, bytes: Uint8Array, publicKey: KeyObject | Uint8Array): HotlistState {
  return applyHotlistMessage(state, verifyHotlistMessage(bytes, publicKey));
}
