import { CorruptStateError } from './errors.js';
import {
  FILE_HEADER_LENGTH,
  RECORD_COMMIT,
  RECORD_DIGEST_LENGTH,
  RECORD_HEADER_LENGTH,
  RECORD_MARKER,
  RECORD_SNAPSHOT,
  decodeRecordBody,
  decodeRecordHeader,
  fileHeaderProblem,
  recordDigestMatches,
  recordLength,
  type RecordHeader,
} from './stateFormat.js';

/** The committed state found in a state file, and where a torn tail (if any) starts. */
export interface ScannedState {
  readonly values: Map<string, Buffer>;
  /** Sequence number of the last valid record. */
  readonly seq: number;
  /** End offset of the snapshot record (the start of the commit log). */
  readonly snapshotEnd: number;
  /** End offset of the last valid record: the file's length once a torn tail is cut off. */
  readonly validEnd: number;
  /** The interrupted append after `validEnd`, or null if the file ends on a record boundary. */
  readonly tornTail: { readonly offset: number; readonly reason: string } | null;
}

type RecordAt =
  | { kind: 'ok'; header: RecordHeader; end: number }
  | { kind: 'short-header' | 'bad-header'; reason: string }
  | { kind: 'incomplete' | 'bad-digest'; reason: string; header: RecordHeader; end: number };

/**
 * Replay a whole state file (pure: does not touch the disk). Recovery rules:
 * - the file header and the snapshot record (first record) must be intact: both were synced before
 *   the file was renamed into place, so no crash can damage them;
 * - each later record must be a commit record with the next sequence number;
 * - the first invalid record is a torn tail (an interrupted append: state as before it) if nothing
 *   valid follows it: its header is incomplete, or its header is valid and the record reaches or
 *   passes the end of the file, or its header is damaged and no valid record header follows;
 * - any other invalid record is corruption.
 * Throws `CorruptStateError` (with `path`, the byte offset and the reason) for corruption.
 */
export function scanStateLog(file: Buffer, path: string): ScannedState {
  const corrupt = (offset: number, reason: string): CorruptStateError => new CorruptStateError(path, offset, reason);
  if (file.length < FILE_HEADER_LENGTH) {
    throw corrupt(0, file.length === 0 ? 'file is empty (no header)' : `truncated header: file is ${file.length} bytes, the header alone is ${FILE_HEADER_LENGTH}`);
  }
  const headerProblem = fileHeaderProblem(file);
  if (headerProblem !== null) throw corrupt(0, headerProblem);

  const values = new Map<string, Buffer>();
  const apply = (offset: number, header: RecordHeader, end: number): void => {
    const entries = decodeRecordBody(file.subarray(offset + RECORD_HEADER_LENGTH, end - RECORD_DIGEST_LENGTH));
    if (typeof entries === 'string') throw corrupt(offset, `record ${header.seq}: ${entries}`);
    for (const { key, value } of entries) {
      if (value === null) {
        if (header.type === RECORD_SNAPSHOT) throw corrupt(offset, `snapshot record deletes key ${JSON.stringify(key)}`);
        values.delete(key);
      } else {
        values.set(key, value);
      }
    }
  };

  const snapshot = readRecordAt(file, FILE_HEADER_LENGTH);
  if (snapshot.kind !== 'ok') {
    throw corrupt(FILE_HEADER_LENGTH, `snapshot record: ${snapshot.reason} (it was synced before the file was renamed into place, so this is damage, not a crash)`);
  }
  if (snapshot.header.type !== RECORD_SNAPSHOT) throw corrupt(FILE_HEADER_LENGTH, 'first record is not a snapshot');
  apply(FILE_HEADER_LENGTH, snapshot.header, snapshot.end);
  let seq = snapshot.header.seq;
  let offset = snapshot.end;

  while (offset < file.length) {
    const record = readRecordAt(file, offset);
    if ('header' in record) {
      // A valid header is what the writer wrote, torn or not: its type and sequence must fit.
      if (record.header.type !== RECORD_COMMIT) throw corrupt(offset, 'a snapshot record inside the commit log');
      if (record.header.seq !== seq + 1) throw corrupt(offset, `record sequence ${record.header.seq}, expected ${seq + 1}`);
    }
    if (record.kind === 'ok') {
      apply(offset, record.header, record.end);
      seq = record.header.seq;
      offset = record.end;
      continue;
    }
    if (record.kind === 'bad-digest' && record.end < file.length) {
      throw corrupt(offset, `${record.reason}, and ${file.length - record.end} more bytes follow it, so this is damage, not an interrupted write`);
    }
    if (record.kind === 'bad-header') {
      const next = findRecordHeader(file, offset + 1, seq + 1);
      if (next >= 0) throw corrupt(offset, `${record.reason}, yet a valid record follows at byte ${next}, so this is damage, not an interrupted write`);
    }
    return { values, seq, snapshotEnd: snapshot.end, validEnd: offset, tornTail: { offset, reason: record.reason } };
  }
  return { values, seq, snapshotEnd: snapshot.end, validEnd: offset, tornTail: null };
}

function readRecordAt(file: Buffer, offset: number): RecordAt {
  const remaining = file.length - offset;
  if (remaining < RECORD_HEADER_LENGTH) {
    return { kind: 'short-header', reason: `incomplete record header (${remaining} of ${RECORD_HEADER_LENGTH} bytes)` };
  }
  const header = decodeRecordHeader(file, offset);
  if (typeof header === 'string') return { kind: 'bad-header', reason: header };
  const end = offset + recordLength(header);
  if (end > file.length) {
    return { kind: 'incomplete', reason: `incomplete record ${header.seq} (${remaining} of ${end - offset} bytes)`, header, end };
  }
  if (!recordDigestMatches(file, offset, header)) {
    return { kind: 'bad-digest', reason: `record ${header.seq} (bytes ${offset}..${end - 1}) fails its SHA-256 check`, header, end };
  }
  return { kind: 'ok', header, end };
}

/** Offset of the first valid record header at or after `from` with a sequence ≥ `minSeq`, or -1. */
function findRecordHeader(file: Buffer, from: number, minSeq: number): number {
  for (let at = file.indexOf(RECORD_MARKER, from); at >= 0; at = file.indexOf(RECORD_MARKER, at + 1)) {
    if (at + RECORD_HEADER_LENGTH > file.length) return -1;
    const header = decodeRecordHeader(file, at);
    if (typeof header !== 'string' && header.seq >= minSeq) return at;
  }
  return -1;
}
