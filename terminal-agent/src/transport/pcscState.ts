/**
 * Reader state as PC/SC reports it (`SCARD_STATE_*` bits of `SCardGetStatusChange`), reduced to
 * what a terminal asks: is a card there, and can it be talked to.
 */

export const SCARD_STATE_UNAVAILABLE = 0x0008;
export const SCARD_STATE_EMPTY = 0x0010;
export const SCARD_STATE_PRESENT = 0x0020;
export const SCARD_STATE_MUTE = 0x0200;

/** The last state a reader reported, with the ATR of the card in it (empty when none). */
export interface PcscReaderStatus {
  readonly state: number;
  readonly atr: Buffer;
}

/** A card is in the slot (even one that does not answer). */
export function isCardPresent(status: PcscReaderStatus): boolean {
  return (status.state & SCARD_STATE_PRESENT) !== 0;
}

/** A card is in the slot and answered its reset with an ATR. */
export function isCardUsable(status: PcscReaderStatus): boolean {
  return isCardPresent(status) && (status.state & SCARD_STATE_MUTE) === 0 && status.atr.length > 0;
}

/**
 * pcsc-lite counts card insertions and removals in the high 16 bits of the state: a different
 * count means the card left (and maybe came back) in between, even if no poll saw the slot empty.
 */
export function cardEventCount(status: PcscReaderStatus): number {
  return status.state >>> 16;
}
