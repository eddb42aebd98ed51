/**
 * Where the EP application keeps its persistent values, and typed reads of them. The test profile
 * (personalization/epTestProfile.ts) and the secured personalization of a blank card write exactly
 * these store keys (through `stageEpPersonalization` or `stageEpKey` / `stageEpActivation`); the
 * application's commands change only the purse record, the log, the proofs and the lifecycle.
 *
 * ```
 * df/F043495459455001/ef/0015      EF 0x15 issuer data, 30 bytes (SFI 15)
 * df/F043495459455001/ef/0012      EF 0x12 limits: max balance (4) ‖ max single purchase (4)
 * df/F043495459455001/ef/0018      EF 0x18 log, records of 23 bytes, newest first (at most 10)
 * df/F043495459455001/key/<NAME>   NAME = DPK, DLK, DTK or DAMK: key version (1) ‖ key (16)
 * df/F043495459455001/purse        balance (4) ‖ online counter (2) ‖ offline counter (2)
 * df/F043495459455001/proofs/<tt>  proofs of the last transactions of type tt (02 load,
 *                                  06 purchase), newest first: counter after (2) ‖ MAC2 (4) ‖ TAC (4)
 * df/F043495459455001/lifecycle    07 operational, 06 blocked by APPLICATION BLOCK
 * ```
 * Every command stages its changes into one `StoreTransaction` and commits once, so the purse
 * record, the log and the proof of a transaction always change together (spec §4, §6).
 */
import { toHex } from '@citycard/protocols';
import { appValueKey, dfPrefix, efKey } from '../../fs/storeKeys.js';
import type { StoreTransaction } from '../../runtime/transaction.js';
import type { PersistentStore } from '../../storage/index.js';
import { corruptValue } from './epErrors.js';

/** AID of the EP application: F0 "CITYEP" 01 (card interface spec §2). */
export const EP_AID: Buffer = Buffer.from('F043495459455001', 'hex');
/** The EP AID as it appears in store keys. */
export const EP_AID_HEX = toHex(EP_AID);

/** FIDs of the EP application's EFs (the SFIs of spec §4 as FIDs) and of its DF (PBOC's 1001). */
export const EP_DF_FID = 0x1001;
export const EP_ISSUER_EF_FID = 0x0015;
export const EP_LIMITS_EF_FID = 0x0012;
export const EP_LOG_EF_FID = 0x0018;

/** Short EF identifiers of spec §4. */
export const EP_SFI = {
  /** EF 0x15: issuer data, 30 bytes, always readable; SELECT puts it in the FCI as `9F0C`. */
  issuer: 0x15,
  /** EF 0x12: max balance (4) ‖ max single purchase (4). */
  limits: 0x12,
  /** EF 0x18: cyclic transaction log, 10 records of 23 bytes. */
  log: 0x18,
} as const;

export const EP_ISSUER_KEY = efKey(EP_AID_HEX, EP_ISSUER_EF_FID);
export const EP_LIMITS_KEY = efKey(EP_AID_HEX, EP_LIMITS_EF_FID);
export const EP_LOG_KEY = efKey(EP_AID_HEX, EP_LOG_EF_FID);
export const EP_PURSE_KEY = appValueKey(EP_AID_HEX, 'purse');
export const EP_LIFECYCLE_KEY = appValueKey(EP_AID_HEX, 'lifecycle');

/** Lifecycle bytes (ISO 7816-4 table 13: operational activated / deactivated). */
export const EP_LIFECYCLE = {
  operational: 0x07,
  blocked: 0x06,
} as const;

export type EpLifecycle = keyof typeof EP_LIFECYCLE;

/** Bytes of the purse record. */
export const PURSE_RECORD_LENGTH = 8;
/** Largest balance and amount (4 bytes). */
export const EP_MAX_AMOUNT = 0xffffffff;
/** Largest transaction counter (2 bytes): at it, the purse answers `9402`. */
export const EP_MAX_COUNTER = 0xffff;

/** Balance and the two transaction counters, always stored together. */
export interface PurseState {
  /** 0 to 2^32-1, in fen. */
  readonly balance: number;
  /** Loads so far, 0 to 65535. */
  readonly onlineCounter: number;
  /** Purchases so far, 0 to 65535. */
  readonly offlineCounter: number;
}

/** Whether the store holds anything of the EP application. */
export function isEpPersonalized(store: PersistentStore): boolean {
  const prefix = dfPrefix(EP_AID_HEX);
  return store.keys().some((key) => key.startsWith(prefix));
}

/** The 8-byte purse record. Throws `RangeError` for a value out of its range. */
export function encodePurseState(state: PurseState): Buffer {
  checkUint('balance', state.balance, EP_MAX_AMOUNT);
  checkUint('online counter', state.onlineCounter, EP_MAX_COUNTER);
  checkUint('offline counter', state.offlineCounter, EP_MAX_COUNTER);
  const out = Buffer.allocUnsafe(PURSE_RECORD_LENGTH);
  out.writeUInt32BE(state.balance, 0);
  out.writeUInt16BE(state.onlineCounter, 4);
  out.writeUInt16BE(state.offlineCounter, 6);
  return out;
}

/** Decode the purse record. Throws `RangeError` for a value that is not 8 bytes. */
export function decodePurseState(bytes: Uint8Array): PurseState {
  if (bytes.length !== PURSE_RECORD_LENGTH) throw new RangeError(`purse record must be 8 bytes, got ${bytes.length}`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { balance: buf.readUInt32BE(0), onlineCounter: buf.readUInt16BE(4), offlineCounter: buf.readUInt16BE(6) };
}

/**
 * The committed purse record, or undefined before personalization. Throws `CardError` `6581` for
 * a stored value that is not 8 bytes: guessing a balance or a counter is never safe.
 */
export function storedPurseState(store: PersistentStore): PurseState | undefined {
  const value = store.get(EP_PURSE_KEY);
  if (value === undefined) return undefined;
  if (value.length !== PURSE_RECORD_LENGTH) throw corruptValue(EP_PURSE_KEY);
  return decodePurseState(value);
}

/** Stage the purse record. Throws `RangeError` for a value out of its range. */
export function stagePurseState(tx: StoreTransaction, state: PurseState): void {
  tx.set(EP_PURSE_KEY, encodePurseState(state));
}

/**
 * The lifecycle, or undefined before personalization. Throws `CardError` `6581` for any other
 * stored value.
 */
export function storedEpLifecycle(store: PersistentStore): EpLifecycle | undefined {
  const value = store.get(EP_LIFECYCLE_KEY);
  if (value === undefined) return undefined;
  if (value.length === 1 && value[0] === EP_LIFECYCLE.operational) return 'operational';
  if (value.length === 1 && value[0] === EP_LIFECYCLE.blocked) return 'blocked';
  throw corruptValue(EP_LIFECYCLE_KEY);
}

export function stageEpLifecycle(tx: StoreTransaction, lifecycle: EpLifecycle): void {
  tx.set(EP_LIFECYCLE_KEY, Buffer.from([EP_LIFECYCLE[lifecycle]]));
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer 0 to ${max}, got ${value}`);
  }
}
