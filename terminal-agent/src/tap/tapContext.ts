/** What a tap needs: the two slots, the durable store, the risk policy and the clock. */
import type { ApduChannel } from '../channel/apduChannel.js';
import type { RecordStore } from '../store/recordStore.js';
import type { TapRiskPolicy } from './tapRisk.js';

/** The store methods the tap uses (a `RecordStore` fits). */
export type TapStore = Pick<RecordStore, 'writeIntent' | 'completeIntent' | 'resolveIntent' | 'expireIntents' | 'pendingIntents'>;

/** Default {@link TapContext.recoveryWindowMs}: 5 minutes. */
export const DEFAULT_RECOVERY_WINDOW_MS = 5 * 60_000;

export interface TapContext {
  /** The citizen card's slot, card powered on (the reader did it when the card arrived). */
  readonly card: ApduChannel;
  /** The PSAM's slot, powered on. */
  readonly psam: ApduChannel;
  /** The PSAM's terminal number when its slot is kept open (`openPsamSlot`); default: read it in every tap. */
  readonly psamTerminal?: Uint8Array | undefined;
  readonly store: TapStore;
  /** Consulted before every debit; default: allow all. */
  readonly risk?: TapRiskPolicy | undefined;
  readonly clock: () => Date;
  /** IANA zone of the date and time written on the card and of the fare's window. */
  readonly timeZone: string;
  /**
   * How long after its intent was written a torn purchase is still recovered when its card comes
   * back, in ms (0 to 2^53-1); default {@link DEFAULT_RECOVERY_WINDOW_MS}. Within it, a recovered
   * debit is the passage of the tap that presents the card again; after it, the intent is
   * resolved `unrecoverable`.
   */
  readonly recoveryWindowMs?: number | undefined;
}

/** The window of `ctx`. Throws `RangeError` unless it is an integer 0 to 2^53-1. */
export function recoveryWindowOf(ctx: Pick<TapContext, 'recoveryWindowMs'>): number {
  const ms = ctx.recoveryWindowMs ?? DEFAULT_RECOVERY_WINDOW_MS;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`recoveryWindowMs must be an integer 0 to 2^53-1, got ${ms}`);
  return ms;
}
