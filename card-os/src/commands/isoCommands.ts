/**
 * The runtime's ISO 7816-4 commands (CLA 00), indexed by INS. Application-specific ISO commands
 * (INTERNAL AUTHENTICATE of the ID application) come with their application instead.
 */
import type { CommandHandler } from '../runtime/context.js';
import { readBinary, updateBinary } from './binary.js';
import { getChallenge } from './getChallenge.js';
import { changeReferenceData, resetRetryCounter, verify } from './pin.js';
import { readRecord, updateRecord } from './record.js';
import { select } from './select.js';

export const INS = {
  SELECT: 0xa4,
  READ_BINARY: 0xb0,
  UPDATE_BINARY: 0xd6,
  READ_RECORD: 0xb2,
  UPDATE_RECORD: 0xdc,
  VERIFY: 0x20,
  CHANGE_REFERENCE_DATA: 0x24,
  RESET_RETRY_COUNTER: 0x2c,
  GET_CHALLENGE: 0x84,
  INTERNAL_AUTHENTICATE: 0x88,
} as const;

/** A fresh 256-entry table (INS → handler) of the ISO commands. */
export function isoCommandTable(): (CommandHandler | undefined)[] {
  const table = new Array<CommandHandler | undefined>(256).fill(undefined);
  table[INS.SELECT] = select;
  table[INS.READ_BINARY] = readBinary;
  table[INS.UPDATE_BINARY] = updateBinary;
  table[INS.READ_RECORD] = readRecord;
  table[INS.UPDATE_RECORD] = updateRecord;
  table[INS.VERIFY] = verify;
  table[INS.CHANGE_REFERENCE_DATA] = changeReferenceData;
  table[INS.RESET_RETRY_COUNTER] = resetRetryCounter;
  table[INS.GET_CHALLENGE] = getChallenge;
  return table;
}
