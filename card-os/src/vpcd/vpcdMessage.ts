/**
 * What a vpcd payload asks of the card (card interface spec §1):
 *
 * ```
 * 1 byte:   control code  00 power off | 01 power on | 02 reset   (no reply)
 *                         04 get ATR                           (reply: the ATR)
 * 2+ bytes: command APDU                                       (reply: the response APDU)
 * ```
 */

export const VPCD_POWER_OFF = 0x00;
export const VPCD_POWER_ON = 0x01;
export const VPCD_RESET = 0x02;
export const VPCD_GET_ATR = 0x04;

export type VpcdMessage =
  | { readonly kind: 'powerOff' }
  | { readonly kind: 'powerOn' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'getAtr' }
  | { readonly kind: 'apdu'; readonly apdu: Buffer }
  /** A 1-byte payload that is none of the four codes; vpcd 3.x never sends one. */
  | { readonly kind: 'unknownControl'; readonly code: number };

/** Classify a frame payload. Throws `RangeError` for an empty payload (the decoder never yields one). */
export function parseVpcdMessage(payload: Buffer): VpcdMessage {
  if (payload.length === 0) throw new RangeError('empty vpcd payload');
  if (payload.length > 1) return { kind: 'apdu', apdu: payload };
  const code = payload[0]!;
  switch (code) {
    case VPCD_POWER_OFF:
      return { kind: 'powerOff' };
    case VPCD_POWER_ON:
      return { kind: 'powerOn' };
    case VPCD_RESET:
      return { kind: 'reset' };
    case VPCD_GET_ATR:
      return { kind: 'getAtr' };
    default:
      return { kind: 'unknownControl', code };
  }
}
