/**
 * Where the PSAM application keeps its persistent values, and typed reads of them. The test
 * profile (personalization/psamTestProfile.ts) and the secured personalization of a blank PSAM
 * write exactly these store keys; the application only reads them (and advances the TTSN).
 *
 * ```
 * df/F04349545953414D/ef/0016      terminal number, 6 bytes (EF 0x16, SFI 16)
 * df/F04349545953414D/key/MPK/<vv> purchase master key of key version vv (2 upper-case hex
 *                                  digits, 01 to FF), 16 bytes
 * df/F04349545953414D/key/MAMK     application maintenance master key, 16 bytes
 * df/F04349545953414D/ttsn         the last TTSN issued, 4 bytes big-endian (absent: none yet)
 * df/F04349545953414D/lifecycle    07 once personalized
 * ```
 */
import { PSAM_AID, PSAM_SFI_TERMINAL, toHex } from '@citycard/protocols';
import { appValueKey, dfPrefix, efKey, secretKeyKey } from '../../fs/storeKeys.js';
import type { PersistentStore } from '../../storage/index.js';

/** AID of the PSAM application: F0 "CITYSAM" (card interface spec §2), from the protocol. */
export { PSAM_AID };
/** The PSAM AID as it appears in store keys. */
export const PSAM_AID_HEX = toHex(PSAM_AID);

/** FID and SFI of the terminal number EF. */
export const PSAM_TERMINAL_EF_FID = 0x0016;
export const PSAM_TERMINAL_EF_SFI = PSAM_SFI_TERMINAL;
/** Bytes of the terminal number. */
export const TERMINAL_NUMBER_LENGTH = 6;
/** Bytes of an MPK or the MAMK (2-key 3DES). */
export const PSAM_KEY_LENGTH = 16;
/** Bytes of the stored TTSN. */
export const TTSN_LENGTH = 4;
/** Largest TTSN: the PSAM issues no MAC1 once it got there. */
export const MAX_TTSN = 0xffffffff;

export const PSAM_TERMINAL_NUMBER_KEY = efKey(PSAM_AID_HEX, PSAM_TERMINAL_EF_FID);
export const PSAM_MAMK_KEY = secretKeyKey(PSAM_AID_HEX, 'MAMK');
export const PSAM_TTSN_KEY = appValueKey(PSAM_AID_HEX, 'ttsn');
export const PSAM_LIFECYCLE_KEY = appValueKey(PSAM_AID_HEX, 'lifecycle');

/** Store key of the MPK of `keyVersion` (1 to 255). Throws `RangeError` outside that range. */
export function psamMpkKey(keyVersion: number): string {
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > 0xff) {
    throw new RangeError(`key version must be 1 to 255, got ${keyVersion}`);
  }
  return secretKeyKey(PSAM_AID_HEX, `MPK/${keyVersion.toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Whether the store holds anything of the PSAM application. */
export function isPsamPersonalized(store: PersistentStore): boolean {
  const prefix = dfPrefix(PSAM_AID_HEX);
  return store.keys().some((key) => key.startsWith(prefix));
}

/** The terminal number (6 bytes), or undefined when it is missing or not 6 bytes. */
export function storedTerminalNumber(store: PersistentStore): Buffer | undefined {
  const value = store.get(PSAM_TERMINAL_NUMBER_KEY);
  return value?.length === TERMINAL_NUMBER_LENGTH ? value : undefined;
}

/** The MPK of `keyVersion` (0 to 255; 0 never has one), or undefined when there is none of 16 bytes. */
export function storedMpk(store: PersistentStore, keyVersion: number): Buffer | undefined {
  if (keyVersion === 0) return undefined;
  const value = store.get(psamMpkKey(keyVersion));
  return value?.length === PSAM_KEY_LENGTH ? value : undefined;
}

/** The MAMK, or undefined when there is none of 16 bytes. */
export function storedMamk(store: PersistentStore): Buffer | undefined {
  const value = store.get(PSAM_MAMK_KEY);
  return value?.length === PSAM_KEY_LENGTH ? value : undefined;
}

/**
 * The last TTSN issued (0 when none yet). Throws `RangeError` for a stored value that is not 4
 * bytes: the counter is damaged, and guessing it could reuse a TTSN.
 */
export function storedTtsn(store: PersistentStore): number {
  const value = store.get(PSAM_TTSN_KEY);
  if (value === undefined) return 0;
  if (value.length !== TTSN_LENGTH) throw new RangeError(`stored TTSN is ${value.length} bytes, not ${TTSN_LENGTH}`);
  return value.readUInt32BE(0);
}

/** The 4 bytes that store `ttsn` (0 to 2^32-1). */
export function encodeTtsn(ttsn: number): Buffer {
  const out = Buffer.allocUnsafe(TTSN_LENGTH);
  out.writeUInt32BE(ttsn, 0);
  return out;
}
