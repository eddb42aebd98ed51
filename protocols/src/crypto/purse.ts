/**
 * Electronic-purse cryptography of the card interface (§4.1 and §5), as pure functions shared by
 * the card OS, the PSAM and the HSM so that all of them build the same bytes.
 *
 * Input conventions: amounts and balances are integers 0 to 2^32-1, counters 0 to 65535, TTSN
 * 0 to 2^32-1, transaction types 0 to 255; the terminal number (6 bytes), date (4 bytes BCD
 * `YYYYMMDD`), time (3 bytes BCD `hhmmss`) and card random (4 bytes) are bytes exactly as they
 * travel in the APDUs. Dates and times are not checked as calendar values here: a MAC covers the
 * bytes as received, and rejecting a bad date is the command parser's job (see bcd.ts). Every
 * function throws `RangeError` on an input out of range or of the wrong length.
 */
import { DES_BLOCK, desEcbEncrypt } from './des.js';
import { macAlgorithm1, macAlgorithm3 } from './iso9797.js';

/** Transaction type of an EP load (PBOC uses 01 in its public examples). */
export const EP_LOAD = 0x02;
/** Transaction type of an EP purchase. */
export const EP_PURCHASE = 0x06;
/** Bytes of every MAC and TAC on the wire. */
export const PURSE_MAC_LENGTH = 4;

function checkLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${bytes.length}`);
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer 0 to ${max}, got ${value}`);
  }
}

const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffffffff;

/**
 * Card key diversification: `DK = 3DES-ECB(MK, F) ‖ 3DES-ECB(MK, NOT F)`. `masterKey` is a
 * 16-byte 2-key 3DES key, `cardNumber` the 8-byte BCD card number F. Returns 16 bytes.
 */
export function diversifyKey(masterKey: Uint8Array, cardNumber: Uint8Array): Buffer {
  checkLength('master key', masterKey, 16);
  checkLength('card number', cardNumber, 8);
  const factor = Buffer.allocUnsafe(16);
  for (let i = 0; i < 8; i++) {
    factor[i] = cardNumber[i]!;
    factor[i + 8] = ~cardNumber[i]! & 0xff;
  }
  // ECB encrypts the two halves independently: one cipher call gives both key halves.
  return desEcbEncrypt(masterKey, factor);
}

/**
 * Purchase session key: `SESPK = 3DES-ECB(DPK, random ‖ offline counter ‖ TTSN[2..3])`.
 * `dpk` 16 bytes, `random` 4 bytes, `offlineCounter` 0 to 65535, `ttsn` 0 to 2^32-1 (only its
 * two low bytes enter). Returns an 8-byte single-DES key.
 */
export function purchaseSessionKey(dpk: Uint8Array, random: Uint8Array, offlineCounter: number, ttsn: number): Buffer {
  checkLength('DPK', dpk, 16);
  checkLength('card random', random, 4);
  checkUint('offline counter', offlineCounter, U16);
  checkUint('TTSN', ttsn, U32);
  const input = Buffer.allocUnsafe(DES_BLOCK);
  input.set(random, 0);
  input.writeUInt16BE(offlineCounter, 4);
  input.writeUInt16BE(ttsn & 0xffff, 6);
  return desEcbEncrypt(dpk, input);
}

/**
 * Load session key: `SESLK = 3DES-ECB(DLK, random ‖ online counter ‖ 8000)`. `dlk` 16 bytes,
 * `random` 4 bytes, `onlineCounter` 0 to 65535. Returns an 8-byte single-DES key.
 */
export function loadSessionKey(dlk: Uint8Array, random: Uint8Array, onlineCounter: number): Buffer {
  checkLength('DLK', dlk, 16);
  checkLength('card random', random, 4);
  checkUint('online counter', onlineCounter, U16);
  const input = Buffer.allocUnsafe(DES_BLOCK);
  input.set(random, 0);
  input.writeUInt16BE(onlineCounter, 4);
  input.writeUInt16BE(0x8000, 6);
  return desEcbEncrypt(dlk, input);
}

/** TAC key: `DTK[0..7] XOR DTK[8..15]` for a 16-byte DTK. Returns an 8-byte single-DES key. */
export function tacKey(dtk: Uint8Array): Buffer {
  checkLength('DTK', dtk, 16);
  const out = Buffer.allocUnsafe(8);
  for (let i = 0; i < 8; i++) out[i] = dtk[i]! ^ dtk[i + 8]!;
  return out;
}

/** Single-DES CBC-MAC, ICV zero, padding method 2, leftmost 4 bytes (§4.1). `key` 8 bytes. */
export function purseMac(key: Uint8Array, data: Uint8Array): Buffer {
  checkLength('session or TAC key', key, 8);
  return macAlgorithm1(key, data, { length: PURSE_MAC_LENGTH });
}

/** Field values common to the load cryptograms. */
export interface LoadFields {
  /** Load amount, 0 to 2^32-1. */
  readonly amount: number;
  /** Terminal number, 6 bytes. */
  readonly terminal: Uint8Array;
  /** Transaction type, 0 to 255; default {@link EP_LOAD}. */
  readonly type?: number;
}

export interface LoadMac1Input extends LoadFields {
  /** Balance before the load, 0 to 2^32-1. */
  readonly balance: number;
}

export interface LoadMac2Input extends LoadFields {
  /** Host date, 4 bytes BCD. */
  readonly date: Uint8Array;
  /** Host time, 3 bytes BCD. */
  readonly time: Uint8Array;
}

export interface LoadTacInput extends LoadMac2Input {
  /** Balance after the load, 0 to 2^32-1. */
  readonly newBalance: number;
  /** Online counter before the load, 0 to 65535. */
  readonly onlineCounter: number;
}

export interface PurchaseMac1Input {
  /** Purchase amount, 0 to 2^32-1. */
  readonly amount: number;
  /** Terminal number, 6 bytes. */
  readonly terminal: Uint8Array;
  /** Transaction date, 4 bytes BCD. */
  readonly date: Uint8Array;
  /** Transaction time, 3 bytes BCD. */
  readonly time: Uint8Array;
  /** Transaction type, 0 to 255; default {@link EP_PURCHASE}. */
  readonly type?: number;
}

export interface PurchaseTacInput extends PurchaseMac1Input {
  /** Terminal transaction sequence number, 0 to 2^32-1. */
  readonly ttsn: number;
}

/** Writes amount (4) ‖ type (1) ‖ terminal (6) at `offset`; returns the offset after. */
function writeAmountTypeTerminal(out: Buffer, offset: number, amount: number, type: number, terminal: Uint8Array): number {
  checkUint('amount', amount, U32);
  checkUint('transaction type', type, U8);
  checkLength('terminal number', terminal, 6);
  out.writeUInt32BE(amount, offset);
  out[offset + 4] = type;
  out.set(terminal, offset + 5);
  return offset + 11;
}

function writeDateTime(out: Buffer, offset: number, date: Uint8Array, time: Uint8Array): void {
  checkLength('date', date, 4);
  checkLength('time', time, 3);
  out.set(date, offset);
  out.set(time, offset + 4);
}

/** Load MAC1 data: old balance (4) ‖ amount (4) ‖ type (1) ‖ terminal (6); 15 bytes. */
export function loadMac1Data(input: LoadMac1Input): Buffer {
  checkUint('balance', input.balance, U32);
  const out = Buffer.allocUnsafe(15);
  out.writeUInt32BE(input.balance, 0);
  writeAmountTypeTerminal(out, 4, input.amount, input.type ?? EP_LOAD, input.terminal);
  return out;
}

/** Load MAC2 data: amount (4) ‖ type (1) ‖ terminal (6) ‖ host date (4) ‖ host time (3); 18 bytes. */
export function loadMac2Data(input: LoadMac2Input): Buffer {
  const out = Buffer.allocUnsafe(18);
  const at = writeAmountTypeTerminal(out, 0, input.amount, input.type ?? EP_LOAD, input.terminal);
  writeDateTime(out, at, input.date, input.time);
  return out;
}

/**
 * Load TAC data: new balance (4) ‖ online counter before the load (2) ‖ amount (4) ‖ type (1) ‖
 * terminal (6) ‖ host date (4) ‖ host time (3); 24 bytes.
 */
export function loadTacData(input: LoadTacInput): Buffer {
  checkUint('new balance', input.newBalance, U32);
  checkUint('online counter', input.onlineCounter, U16);
  const out = Buffer.allocUnsafe(24);
  out.writeUInt32BE(input.newBalance, 0);
  out.writeUInt16BE(input.onlineCounter, 4);
  const at = writeAmountTypeTerminal(out, 6, input.amount, input.type ?? EP_LOAD, input.terminal);
  writeDateTime(out, at, input.date, input.time);
  return out;
}

/** Purchase MAC1 data: amount (4) ‖ type (1) ‖ terminal (6) ‖ date (4) ‖ time (3); 18 bytes. */
export function purchaseMac1Data(input: PurchaseMac1Input): Buffer {
  const out = Buffer.allocUnsafe(18);
  const at = writeAmountTypeTerminal(out, 0, input.amount, input.type ?? EP_PURCHASE, input.terminal);
  writeDateTime(out, at, input.date, input.time);
  return out;
}

/** Purchase MAC2 data: amount (4). */
export function purchaseMac2Data(amount: number): Buffer {
  checkUint('amount', amount, U32);
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(amount, 0);
  return out;
}

/** Purchase TAC data: amount (4) ‖ type (1) ‖ terminal (6) ‖ TTSN (4) ‖ date (4) ‖ time (3); 22 bytes. */
export function purchaseTacData(input: PurchaseTacInput): Buffer {
  checkUint('TTSN', input.ttsn, U32);
  const out = Buffer.allocUnsafe(22);
  const at = writeAmountTypeTerminal(out, 0, input.amount, input.type ?? EP_PURCHASE, input.terminal);
  out.writeUInt32BE(input.ttsn, at);
  writeDateTime(out, at + 4, input.date, input.time);
  return out;
}

/** Load MAC1 (card) under SESLK (8 bytes); 4 bytes. */
export function loadMac1(seslk: Uint8Array, input: LoadMac1Input): Buffer {
  return purseMac(seslk, loadMac1Data(input));
}

/** Load MAC2 (HSM) under SESLK (8 bytes); 4 bytes. */
export function loadMac2(seslk: Uint8Array, input: LoadMac2Input): Buffer {
  return purseMac(seslk, loadMac2Data(input));
}

/** Load TAC (card) under the TAC key (8 bytes, see {@link tacKey}); 4 bytes. */
export function loadTac(tacKey8: Uint8Array, input: LoadTacInput): Buffer {
  return purseMac(tacKey8, loadTacData(input));
}

/** Purchase MAC1 (PSAM) under SESPK (8 bytes); 4 bytes. */
export function purchaseMac1(sespk: Uint8Array, input: PurchaseMac1Input): Buffer {
  return purseMac(sespk, purchaseMac1Data(input));
}

/** Purchase MAC2 (card) under SESPK (8 bytes) over the amount (0 to 2^32-1); 4 bytes. */
export function purchaseMac2(sespk: Uint8Array, amount: number): Buffer {
  return purseMac(sespk, purchaseMac2Data(amount));
}

/** Purchase TAC (card) under the TAC key (8 bytes, see {@link tacKey}); 4 bytes. */
export function purchaseTac(tacKey8: Uint8Array, input: PurchaseTacInput): Buffer {
  return purseMac(tacKey8, purchaseTacData(input));
}

/**
 * Application maintenance MAC (§5, APPLICATION BLOCK/UNBLOCK): ISO/IEC 9797-1 MAC algorithm 3
 * under DAMK (16 bytes), ICV = card challenge (4) ‖ `00000000`, over the 5-byte APDU header
 * CLA INS P1 P2 Lc with padding method 2; leftmost 4 bytes.
 */
export function maintenanceMac(damk: Uint8Array, challenge: Uint8Array, header: Uint8Array): Buffer {
  checkLength('DAMK', damk, 16);
  checkLength('card challenge', challenge, 4);
  checkLength('APDU header', header, 5);
  const icv = new Uint8Array(DES_BLOCK);
  icv.set(challenge, 0);
  return macAlgorithm3(damk, header, { icv, length: PURSE_MAC_LENGTH });
}
