import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concat, fromHex } from '@citycard/protocols';
import { SimulatedDiskIo, FileStore } from '../../card-os/src/storage/index.js';
import {
  RECORD_COMMIT,
  RECORD_SNAPSHOT,
  decodeRecordBody,
  decodeRecordHeader,
  encodeFileHeader,
  encodeRecord,
  fileHeaderProblem,
} from '../../card-os/src/storage/stateFormat.js';

/** "CCSTATE" 00 ‖ version 0001 ‖ reserved ‖ SHA-256(first 16 bytes)[0..16]. */
const FILE_HEADER_V1 = fromHex('43435354415445000001000000000000 249FE1AED5057278675262998EC36DFA');
/** Empty snapshot: "CREC" ‖ 'S' ‖ 000000 ‖ seq 0 ‖ body length 4 ‖ header check ‖ count 0 ‖ SHA-256. */
const EMPTY_SNAPSHOT_RECORD = fromHex(
  '43524543 53 000000 0000000000000000 00000004 D0A9AD2C' +
    '00000000' +
    '861E4A62CFC3A349FDB6F380D33FF40DAEF3C23817F656CC85A1B386A8524312',
);
const FRESH_STATE_FILE = concat(FILE_HEADER_V1, EMPTY_SNAPSHOT_RECORD);
/** Commit 1: put "a" = 01, delete "b". */
const COMMIT_1_PUT_A_DELETE_B = fromHex(
  '43524543 43 000000 0000000000000001 00000011 B9878B19' +
    '00000002' +
    '01 0001 61 00000001 01' +
    '00 0001 62' +
    '8523BB14E8C066DEC159BB1A56D2CCC2A1040DA6DCCD71A01296411DA5BA820D',
);

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

describe('card state file format v1', () => {
  it('writes a fresh store as header ‖ empty snapshot, byte for byte', () => {
    const disk = new SimulatedDiskIo();
    FileStore.open('/card', { io: disk }).close();
    expect(disk.peek('/card/card.state')).toEqual(FRESH_STATE_FILE);
  });

  it('appends exactly one commit record per commit', () => {
    const disk = new SimulatedDiskIo();
    const store = FileStore.open('/card', { io: disk });
    store.commit(new Map([['a', fromHex('01')], ['b', null]]));
    expect(disk.peek('/card/card.state')).toEqual(concat(FRESH_STATE_FILE, COMMIT_1_PUT_A_DELETE_B));
  });

  it('has check fields that are the documented SHA-256 prefixes', () => {
    expect(FILE_HEADER_V1.subarray(16)).toEqual(sha256(FILE_HEADER_V1.subarray(0, 16)).subarray(0, 16));
    for (const record of [EMPTY_SNAPSHOT_RECORD, COMMIT_1_PUT_A_DELETE_B]) {
      expect(record.subarray(20, 24)).toEqual(sha256(record.subarray(0, 20)).subarray(0, 4));
      expect(record.subarray(-32)).toEqual(sha256(record.subarray(0, -32)));
    }
  });

  it('encodes and decodes records symmetrically', () => {
    expect(encodeFileHeader()).toEqual(FILE_HEADER_V1);
    expect(fileHeaderProblem(FILE_HEADER_V1)).toBeNull();
    expect(encodeRecord(RECORD_SNAPSHOT, 0, [])).toEqual(EMPTY_SNAPSHOT_RECORD);
    const entries = [
      { keyBytes: Buffer.from('a'), value: fromHex('01') },
      { keyBytes: Buffer.from('b'), value: null },
    ];
    expect(encodeRecord(RECORD_COMMIT, 1, entries)).toEqual(COMMIT_1_PUT_A_DELETE_B);
    expect(decodeRecordHeader(COMMIT_1_PUT_A_DELETE_B, 0)).toEqual({ type: RECORD_COMMIT, seq: 1, bodyLength: 17 });
    expect(decodeRecordBody(COMMIT_1_PUT_A_DELETE_B.subarray(24, 24 + 17))).toEqual([
      { key: 'a', value: fromHex('01') },
      { key: 'b', value: null },
    ]);
  });

  it('stores sequence numbers above 2^32 in the 8-byte field', () => {
    const record = encodeRecord(RECORD_COMMIT, 2 ** 40 + 5, []);
    expect(record.subarray(8, 16)).toEqual(fromHex('0000010000000005'));
    expect(decodeRecordHeader(record, 0)).toEqual({ type: RECORD_COMMIT, seq: 2 ** 40 + 5, bodyLength: 4 });
    expect(() => encodeRecord(RECORD_COMMIT, -1, [])).toThrow(RangeError);
  });

  it('names what is wrong with a bad header or body', () => {
    expect(fileHeaderProblem(encodeFileHeader(2))).toMatch(/unsupported format version 2/);
    expect(decodeRecordHeader(fromHex('00'.repeat(24)), 0)).toMatch(/no record marker/);
    expect(decodeRecordBody(fromHex('00000001 07 0001 61'))).toMatch(/unknown op 07/);
    expect(decodeRecordBody(fromHex('00000001 01 0001 61 00000005 01'))).toMatch(/value of entry 0 is truncated/);
    expect(decodeRecordBody(fromHex('00000002 00 0001 61 00 0001 61'))).toMatch(/appears twice/);
    expect(decodeRecordBody(fromHex('00000000 FF'))).toMatch(/1 unexpected bytes/);
    expect(decodeRecordBody(fromHex('00000001 00 0001 FF'))).toMatch(/not valid UTF-8/);
  });
});
