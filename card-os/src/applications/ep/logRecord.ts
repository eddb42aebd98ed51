/**
 * A record of EF 0x18, the EP transaction log (spec §4): cyclic, 10 records of 23 bytes, record 1
 * the newest, read with READ RECORD `00 B2 rec C4 17`.
 *
 * ```
 * counter before the transaction (2) ‖ overdraft limit 000000 (3) ‖ amount (4) ‖
 * transaction type (1) ‖ terminal number (6) ‖ date (4) ‖ time (3)
 * ```
 * A purchase logs the offline counter, the purchase terminal and the DEBIT's date and time; a
 * load logs the online counter, the load terminal (INITIALIZE FOR LOAD's terminal number) and the
 * host date and time of CREDIT FOR LOAD.
 */
export const EP_LOG_RECORD_LENGTH = 23;
/** Records EF 0x18 keeps. */
export const EP_LOG_RECORDS = 10;

export interface EpLogRecord {
  /** The transaction's counter before it, 0 to 65535 (online for a load, offline for a purchase). */
  readonly counter: number;
  /** 0 to 2^32-1. */
  readonly amount: number;
  /** 02 load, 06 purchase. */
  readonly type: number;
  /** 6 bytes. */
  readonly terminal: Uint8Array;
  /** 4 bytes BCD, as received. */
  readonly date: Uint8Array;
  /** 3 bytes BCD, as received. */
  readonly time: Uint8Array;
}

/** The 23-byte record (overdraft limit 000000). Throws `RangeError` for a value out of range or a field of the wrong length. */
export function encodeEpLogRecord(record: EpLogRecord): Buffer {
  if (!Number.isInteger(record.counter) || record.counter < 0 || record.counter > 0xffff) {
    throw new RangeError(`counter must be 0 to 65535, got ${record.counter}`);
  }
  if (!Number.isInteger(record.amount) || record.amount < 0 || record.amount > 0xffffffff) {
    throw new RangeError(`amount must be 0 to 2^32-1, got ${record.amount}`);
  }
  if (!Number.isInteger(record.type) || record.type < 0 || record.type > 0xff) {
    throw new RangeError(`type must be 0 to 255, got ${record.type}`);
  }
  if (record.terminal.length !== 6 || record.date.length !== 4 || record.time.length !== 3) {
    throw new RangeError('terminal, date and time must be 6, 4 and 3 bytes');
  }
  const out = Buffer.alloc(EP_LOG_RECORD_LENGTH);
  out.writeUInt16BE(record.counter, 0);
  out.writeUInt32BE(record.amount, 5);
  out[9] = record.type;
  out.set(record.terminal, 10);
  out.set(record.date, 16);
  out.set(record.time, 20);
  return out;
}

/** Decode a 23-byte record. Throws `RangeError` for another length. */
export function decodeEpLogRecord(bytes: Uint8Array): EpLogRecord & { readonly overdraftLimit: number } {
  if (bytes.length !== EP_LOG_RECORD_LENGTH) throw new RangeError(`a log record is 23 bytes, got ${bytes.length}`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    counter: buf.readUInt16BE(0),
    overdraftLimit: buf.readUIntBE(2, 3),
    amount: buf.readUInt32BE(5),
    type: buf[9]!,
    terminal: Buffer.from(buf.subarray(10, 16)),
    date: Buffer.from(buf.subarray(16, 20)),
    time: Buffer.from(buf.subarray(20, 23)),
  };
}
