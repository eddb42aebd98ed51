import { createHash } from 'node:crypto';

/**
 * Byte codec of the card state file (pure, no I/O); layout and recovery rules are described in
 * fileStore.ts and docs/card-state-format.md. All integers are big-endian.
 *
 * File header, 32 bytes:
 *   0  8  magic "CCSTATE" 00
 *   8  2  format version (1)
 *  10  6  reserved, zero
 *  16 16  first 16 bytes of SHA-256(bytes 0..15)
 *
 * Record = header (24) ‖ body ‖ SHA-256(header ‖ body) (32). Record header:
 *   0  4  marker "CREC"
 *   4  1  type: 53 ('S') snapshot, 43 ('C') commit
 *   5  3  reserved, zero
 *   8  8  sequence number (0 .. 2^53-1)
 *  16  4  body length
 *  20  4  first 4 bytes of SHA-256(header bytes 0..19)
 *
 * Body = entry count (4) ‖ entries; entry = op (1: 01 put, 00 delete) ‖ key length (2) ‖ key
 * (UTF-8) ‖ for a put: value length (4) ‖ value.
 */

export const FILE_MAGIC = Buffer.from('CCSTATE\0', 'latin1');
export const FORMAT_VERSION = 1;
export const FILE_HEADER_LENGTH = 32;
export const RECORD_MARKER = Buffer.from('CREC', 'latin1');
export const RECORD_HEADER_LENGTH = 24;
export const RECORD_DIGEST_LENGTH = 32;
/** Largest record body the reader accepts (and the writer produces). */
export const MAX_RECORD_BODY = 64 * 1024 * 1024;

export const RECORD_SNAPSHOT = 0x53;
export const RECORD_COMMIT = 0x43;

const OP_DELETE = 0x00;
const OP_PUT = 0x01;
const HEADER_CHECK_LENGTH = 4;

/** A key change as stored in a record: null value for a delete. */
export interface RecordEntry {
  readonly keyBytes: Buffer;
  readonly value: Buffer | null;
}

export interface RecordHeader {
  readonly type: number;
  readonly seq: number;
  readonly bodyLength: number;
}

export function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The 32-byte file header for `version` (default: the current one). */
export function encodeFileHeader(version: number = FORMAT_VERSION): Buffer {
  const header = Buffer.alloc(FILE_HEADER_LENGTH);
  FILE_MAGIC.copy(header, 0);
  header.writeUInt16BE(version, 8);
  sha256(header.subarray(0, 16)).copy(header, 16, 0, 16);
  return header;
}

/** Why the first 32 bytes are not a readable file header, or null if they are. Needs ≥ 32 bytes. */
export function fileHeaderProblem(file: Buffer): string | null {
  if (!file.subarray(0, 8).equals(FILE_MAGIC)) {
    return `wrong magic ${file.subarray(0, 8).toString('hex').toUpperCase()} (expected ${FILE_MAGIC.toString('hex').toUpperCase()}, "CCSTATE"): not a card state file`;
  }
  if (!sha256(file.subarray(0, 16)).subarray(0, 16).equals(file.subarray(16, 32))) {
    return 'file header checksum mismatch';
  }
  const version = file.readUInt16BE(8);
  if (version !== FORMAT_VERSION) return `unsupported format version ${version} (this build reads version ${FORMAT_VERSION})`;
  if (file.subarray(10, 16).some((b) => b !== 0)) return 'reserved header bytes are not zero';
  return null;
}

/** Size in a record body of one entry. */
export function entrySize(keyBytes: number, value: Uint8Array | null): number {
  return 3 + keyBytes + (value === null ? 0 : 4 + value.length);
}

/**
 * Encode a whole record. Throws `RangeError` if `seq` is not a safe non-negative integer or the
 * body would exceed `MAX_RECORD_BODY`.
 */
export function encodeRecord(type: number, seq: number, entries: readonly RecordEntry[]): Buffer {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`record sequence ${seq} out of range`);
  let bodyLength = 4;
  for (const { keyBytes, value } of entries) bodyLength += entrySize(keyBytes.length, value);
  if (bodyLength > MAX_RECORD_BODY) throw new RangeError(`record body of ${bodyLength} bytes exceeds ${MAX_RECORD_BODY}`);
  const record = Buffer.alloc(RECORD_HEADER_LENGTH + bodyLength + RECORD_DIGEST_LENGTH);
  RECORD_MARKER.copy(record, 0);
  record[4] = type;
  record.writeUInt32BE(Math.floor(seq / 2 ** 32), 8);
  record.writeUInt32BE(seq % 2 ** 32, 12);
  record.writeUInt32BE(bodyLength, 16);
  sha256(record.subarray(0, 20)).copy(record, 20, 0, HEADER_CHECK_LENGTH);
  let at = RECORD_HEADER_LENGTH;
  at = record.writeUInt32BE(entries.length, at);
  for (const { keyBytes, value } of entries) {
    record[at++] = value === null ? OP_DELETE : OP_PUT;
    at = record.writeUInt16BE(keyBytes.length, at);
    at += keyBytes.copy(record, at);
    if (value !== null) {
      at = record.writeUInt32BE(value.length, at);
      at += value.copy(record, at);
    }
  }
  sha256(record.subarray(0, at)).copy(record, at);
  return record;
}

/**
 * Decode the record header at `offset` (needs `RECORD_HEADER_LENGTH` bytes there): the header, or
 * the reason it is invalid.
 */
export function decodeRecordHeader(file: Buffer, offset: number): RecordHeader | string {
  const header = file.subarray(offset, offset + RECORD_HEADER_LENGTH);
  if (!header.subarray(0, 4).equals(RECORD_MARKER)) return 'no record marker "CREC"';
  if (!sha256(header.subarray(0, 20)).subarray(0, HEADER_CHECK_LENGTH).equals(header.subarray(20, 24))) {
    return 'record header checksum mismatch';
  }
  const type = header[4] ?? 0;
  if (type !== RECORD_SNAPSHOT && type !== RECORD_COMMIT) return `unknown record type ${type.toString(16).toUpperCase().padStart(2, '0')}`;
  if (header[5] !== 0 || header[6] !== 0 || header[7] !== 0) return 'reserved record header bytes are not zero';
  const seq = header.readUInt32BE(8) * 2 ** 32 + header.readUInt32BE(12);
  if (!Number.isSafeInteger(seq)) return `record sequence number is beyond 2^53`;
  const bodyLength = header.readUInt32BE(16);
  if (bodyLength > MAX_RECORD_BODY) return `record body length ${bodyLength} exceeds ${MAX_RECORD_BODY}`;
  return { type, seq, bodyLength };
}

/** Total bytes of a record with this header. */
export function recordLength(header: RecordHeader): number {
  return RECORD_HEADER_LENGTH + header.bodyLength + RECORD_DIGEST_LENGTH;
}

/** Whether the complete record at `offset` (with its decoded `header`) matches its SHA-256. */
export function recordDigestMatches(file: Buffer, offset: number, header: RecordHeader): boolean {
  const digestAt = offset + RECORD_HEADER_LENGTH + header.bodyLength;
  return sha256(file.subarray(offset, digestAt)).equals(file.subarray(digestAt, digestAt + RECORD_DIGEST_LENGTH));
}

/**
 * Decode a record body into entries (values are copies). Returns the reason as a string if the
 * body is malformed: truncated entry, unknown op, bad UTF-8 key, duplicate key or trailing bytes.
 */
export function decodeRecordBody(body: Buffer): Array<{ key: string; value: Buffer | null }> | string {
  if (body.length < 4) return 'record body shorter than its entry count';
  const count = body.readUInt32BE(0);
  const entries: Array<{ key: string; value: Buffer | null }> = [];
  const seen = new Set<string>();
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 3 > body.length) return `entry ${i} of ${count} is truncated`;
    const op = body[at] ?? 0;
    const keyLength = body.readUInt16BE(at + 1);
    at += 3;
    if (at + keyLength > body.length) return `key of entry ${i} is truncated`;
    const keyBytes = body.subarray(at, at + keyLength);
    at += keyLength;
    const key = keyBytes.toString('utf8');
    if (keyLength === 0 || !Buffer.from(key, 'utf8').equals(keyBytes)) return `key of entry ${i} is not valid UTF-8`;
    if (seen.has(key)) return `key ${JSON.stringify(key)} appears twice in one record`;
    seen.add(key);
    if (op === OP_DELETE) {
      entries.push({ key, value: null });
    } else if (op === OP_PUT) {
      if (at + 4 > body.length) return `value length of entry ${i} is truncated`;
      const valueLength = body.readUInt32BE(at);
      at += 4;
      if (at + valueLength > body.length) return `value of entry ${i} is truncated`;
      entries.push({ key, value: Buffer.from(body.subarray(at, at + valueLength)) });
      at += valueLength;
    } else {
      return `entry ${i} has unknown op ${op.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  if (at !== body.length) return `${body.length - at} unexpected bytes after the last entry`;
  return entries;
}
