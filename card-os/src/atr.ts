/**
 * Answer-to-reset in the contactless form of PC/SC part 3 (card interface spec §1):
 *
 * ```
 * 3B  8n  80  01  <n historical bytes>  TCK
 * TS  T0  TD1 TD2                        TCK = XOR of T0 .. last historical byte
 * ```
 * T0 = 8n: TD1 follows, n historical bytes; TD1 = 80: TD2 follows, T=0 indicated; TD2 = 01: T=1.
 * The default historical bytes are a compact-TLV card issuer's data object (`80` category
 * indicator, then `58` = tag 5, 8 bytes "CITYCARD"). They must not start `80 4F`: nfc-pcsc takes
 * an ATR whose byte 5 is `4F` for a PC/SC storage card and sends it GET UID instead of SELECT.
 */

/** Historical bytes of the citizen card: `80 58 "CITYCARD"`. */
export const CITYCARD_HISTORICAL_BYTES: Buffer = Buffer.from([0x80, 0x58, ...Buffer.from('CITYCARD', 'latin1')]);

const TS_DIRECT = 0x3b;
const TD1 = 0x80;
const TD2_T1 = 0x01;

/**
 * The ATR carrying `historical` (1 to 15 bytes). Throws `RangeError` for another length or for
 * historical bytes that would put `4F` at ATR byte 5.
 */
export function buildAtr(historical: Uint8Array = CITYCARD_HISTORICAL_BYTES): Buffer {
  if (historical.length < 1 || historical.length > 15) {
    throw new RangeError(`historical bytes must be 1 to 15, got ${historical.length}`);
  }
  if (historical[1] === 0x4f) throw new RangeError('ATR byte 5 must not be 4F (nfc-pcsc takes it for a storage card)');
  const atr = Buffer.alloc(4 + historical.length + 1);
  atr[0] = TS_DIRECT;
  atr[1] = 0x80 | historical.length;
  atr[2] = TD1;
  atr[3] = TD2_T1;
  atr.set(historical, 4);
  atr[atr.length - 1] = xorOf(atr.subarray(1, atr.length - 1));
  return atr;
}

/**
 * Whether `atr` ends in a correct TCK: the XOR of every byte from T0 through TCK is 00 (ISO
 * 7816-3 §8.2.5). An ATR shorter than TS T0 TCK is not.
 */
export function hasValidTck(atr: Uint8Array): boolean {
  return atr.length >= 3 && xorOf(atr.subarray(1)) === 0;
}

function xorOf(bytes: Uint8Array): number {
  let x = 0;
  for (const b of bytes) x ^= b;
  return x;
}
