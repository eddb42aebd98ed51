/**
 * Card key diversification for a whole batch in one cipher call. ECB encrypts each block
 * independently, so `3DES-ECB(MK, F1 ‖ NOT F1 ‖ F2 ‖ NOT F2 ‖ …)` is the concatenation of
 * `diversifyKey(MK, Fi)` (card interface §4.1) for every card; one cipher setup instead of one per
 * card is what lets clearing verify tens of thousands of TACs per second. The tests check it
 * against `diversifyKey` from @citycard/protocols.
 */
import { desEcbEncrypt } from '@citycard/protocols';

/** Bytes of one diversified key in the result. */
export const CARD_KEY_LENGTH = 16;

/**
 * The 16-byte card keys of every card number (8 bytes each), concatenated in order under the
 * 16-byte master key. Throws `RangeError` on a master or card number of the wrong length.
 */
export function diversifyKeys(masterKey: Uint8Array, cardNumbers: readonly Uint8Array[]): Buffer {
  if (masterKey.length !== 16) throw new RangeError(`master key must be 16 bytes, got ${masterKey.length}`);
  const factors = Buffer.allocUnsafe(cardNumbers.length * CARD_KEY_LENGTH);
  cardNumbers.forEach((f, n) => {
    if (f.length !== 8) throw new RangeError(`card number must be 8 bytes, got ${f.length}`);
    const at = n * CARD_KEY_LENGTH;
    for (let i = 0; i < 8; i++) {
      factors[at + i] = f[i]!;
      factors[at + 8 + i] = ~f[i]! & 0xff;
    }
  });
  const keys = desEcbEncrypt(masterKey, factors);
  // The factors are card numbers, not secrets; the keys are the caller's to overwrite.
  return keys;
}
