/** Instructions, key ids and object ids of the personalization commands (docs/personalization.md §3). */

export const INS_PUT_KEY = 0xd8;
export const INS_STORE_DATA = 0xe2;
export const INS_GENERATE_KEY_PAIR = 0x46;
export const INS_END_PERSONALIZATION = 0xf0;

/** What a PUT KEY key id installs: a card key diversified from a master, or a master itself (PSAM). */
export interface PutKeyTarget {
  readonly target: 'card' | 'psam';
  /** Label of the master key in the HSM. */
  readonly master: string;
  /** Whether the master is diversified by the card number (citizen card) or sent as is (PSAM). */
  readonly diversified: boolean;
}

/** PUT KEY key id → what it installs. */
export const PUT_KEY_IDS: ReadonlyMap<number, PutKeyTarget> = new Map([
  [0x01, { target: 'card', master: 'MPK', diversified: true }],
  [0x02, { target: 'card', master: 'MLK', diversified: true }],
  [0x03, { target: 'card', master: 'MTK', diversified: true }],
  [0x04, { target: 'card', master: 'MAMK', diversified: true }],
  [0x11, { target: 'psam', master: 'MPK', diversified: false }],
  [0x14, { target: 'psam', master: 'MAMK', diversified: false }],
]);

/** STORE DATA object of the PIN (8 bytes: ASCII digits padded with FF). */
export const OBJECT_PIN = 0xff01;
/** STORE DATA object of the PUK (8 ASCII digits). */
export const OBJECT_PUK = 0xff81;

/** STORE DATA plaintext header: object (2) ‖ offset (2). */
export const STORE_DATA_HEADER = 4;

/** Bytes of a PIN or PUK block. */
export const PIN_BLOCK = 8;

/**
 * A PIN or PUK as the card stores it: ASCII digits padded with `FF` to 8 bytes. Throws
 * `RangeError` unless `digits` is 4 to 8 decimal digits.
 */
export function pinBlock(digits: string): Buffer {
  if (!/^[0-9]{4,8}$/.test(digits)) throw new RangeError('a PIN must be 4 to 8 decimal digits');
  const block = Buffer.alloc(PIN_BLOCK, 0xff);
  block.write(digits, 'ascii');
  return block;
}
