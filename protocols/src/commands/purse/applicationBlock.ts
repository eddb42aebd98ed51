/**
 * APPLICATION BLOCK and APPLICATION UNBLOCK of the EP (card interface spec §4, §5), each
 * authorised by a maintenance MAC the PSAM computes over the command header:
 *
 * ```
 * 84 1E 00 00 04  MAC (4)     APPLICATION BLOCK: later INITIALIZE answers 6A81
 * 84 18 00 00 04  MAC (4)     APPLICATION UNBLOCK
 * MAC = retail MAC under DAMK, ICV = card challenge (GET CHALLENGE just before) ‖ 00000000,
 *       over CLA INS P1 P2 Lc (the header below) with padding method 2
 * response: no data; 9302 MAC invalid; 6982 no challenge issued before
 * ```
 */
import type { ResponseApdu } from '../../apdu.js';
import { encodeCommandApdu } from '../../apdu.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  type StatusTable,
  requireDataLength,
  requireResultStatus,
} from '../cardCommand.js';
import { MAC_LENGTH, PURSE_MAC_CLA, checkBytes } from './purseCommon.js';

export const APPLICATION_BLOCK_INS = 0x1e;
export const APPLICATION_UNBLOCK_INS = 0x18;

export type MaintenanceOperation = 'block' | 'unblock';

export const APPLICATION_MAINTENANCE_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'done' },
  { sw: 0x9302, outcome: 'error', meaning: 'maintenance MAC invalid' },
  { sw: 0x6982, outcome: 'error', meaning: 'security status not satisfied (no challenge)' },
  { sw: 0x6985, outcome: 'error', meaning: 'conditions of use not satisfied' },
  { sw: 0x9303, outcome: 'error', meaning: 'application permanently locked' },
  { sw: 0x6a80, outcome: 'error', meaning: 'incorrect data' },
  ...COMMON_ERROR_STATUS,
];

/** The 5-byte header CLA INS P1 P2 Lc that the maintenance MAC of `operation` protects. */
export function applicationMaintenanceHeader(operation: MaintenanceOperation): Buffer {
  return Buffer.from([PURSE_MAC_CLA, insOf(operation), 0x00, 0x00, MAC_LENGTH]);
}

/** Encode APPLICATION BLOCK or UNBLOCK. Throws `CommandParameterError` for a MAC that is not 4 bytes. */
export function encodeApplicationMaintenance(operation: MaintenanceOperation, mac: Uint8Array): Buffer {
  checkBytes('mac', mac, MAC_LENGTH);
  return encodeCommandApdu({ cla: PURSE_MAC_CLA, ins: insOf(operation), p1: 0x00, p2: 0x00, data: mac });
}

/** Throws `ResponseDataError` unless the answer is 9000 without data. */
export function parseApplicationMaintenanceResponse(response: ResponseApdu): void {
  requireResultStatus('APPLICATION BLOCK/UNBLOCK', response.sw, 0x9000);
  requireDataLength('APPLICATION BLOCK/UNBLOCK', response.data, 0);
}

/** APPLICATION BLOCK ready to send. Throws as {@link encodeApplicationMaintenance}. */
export function applicationBlockCommand(mac: Uint8Array): CardCommand<void> {
  return {
    name: 'APPLICATION BLOCK',
    apdu: encodeApplicationMaintenance('block', mac),
    statusTable: APPLICATION_MAINTENANCE_STATUS,
    parse: parseApplicationMaintenanceResponse,
  };
}

/** APPLICATION UNBLOCK ready to send. Throws as {@link encodeApplicationMaintenance}. */
export function applicationUnblockCommand(mac: Uint8Array): CardCommand<void> {
  return {
    name: 'APPLICATION UNBLOCK',
    apdu: encodeApplicationMaintenance('unblock', mac),
    statusTable: APPLICATION_MAINTENANCE_STATUS,
    parse: parseApplicationMaintenanceResponse,
  };
}

function insOf(operation: MaintenanceOperation): number {
  return operation === 'block' ? APPLICATION_BLOCK_INS : APPLICATION_UNBLOCK_INS;
}
