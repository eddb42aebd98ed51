/**
 * SELECT of the EP and of the PSAM application by AID (card interface spec §2):
 *
 * ```
 * 00 A4 04 00 08 F043495459455001 00    EP
 * 00 A4 04 00 08 F04349545953414D 00    PSAM
 * FCI: 6F L  84 L AID  A5 L [9F0C 1E <EF 0x15 content>]   (9F0C: the EP only)
 * 6283: selected, but the application is blocked (ISO/IEC 7816-4 "selected file deactivated")
 * ```
 */
import type { ResponseApdu } from '../../apdu.js';
import { type CardCommand, type StatusTable, requireResultStatus } from '../cardCommand.js';
import { type Fci, SELECT_STATUS, encodeSelectByAid, parseSelectResponse } from '../select.js';
import { type EpIssuerData, decodeEpIssuerData } from './epIssuerData.js';
import { EP_AID, PSAM_AID } from './purseCommon.js';

export interface PurseSelection {
  readonly fci: Fci;
  /** `9F0C` of the FCI decoded (EP only; undefined when the card leaves it out). */
  readonly issuerData: EpIssuerData | undefined;
  /** True when the card answered 6283 (application blocked). */
  readonly blocked: boolean;
}

export const PURSE_SELECT_STATUS: StatusTable = [
  { sw: 0x6283, outcome: 'result', meaning: 'selected, application blocked' },
  ...SELECT_STATUS,
];

/**
 * Parse the answer to SELECT of `aid`. Throws `ResponseDataError` for a malformed FCI or one
 * naming another AID, `PurseDataError` for a `9F0C` that is not a valid EF 0x15.
 */
export function parsePurseSelectResponse(response: ResponseApdu, aid: Uint8Array): PurseSelection {
  requireResultStatus('SELECT', response.sw, 0x9000, 0x6283);
  const { fci } = parseSelectResponse({ data: response.data, sw: 0x9000 }, { fci: true, aid });
  // An FCI is required by `fci: true`, so it is always defined here.
  const issuerBytes = fci!.issuerDiscretionaryData;
  return {
    fci: fci!,
    issuerData: issuerBytes === undefined ? undefined : decodeEpIssuerData(issuerBytes),
    blocked: response.sw === 0x6283,
  };
}

/** SELECT of the EP ready to send. */
export function selectEpCommand(): CardCommand<PurseSelection> {
  return selectPurseAid(EP_AID);
}

/** SELECT of the PSAM application ready to send. */
export function selectPsamCommand(): CardCommand<PurseSelection> {
  return selectPurseAid(PSAM_AID);
}

function selectPurseAid(aid: Buffer): CardCommand<PurseSelection> {
  return {
    name: 'SELECT',
    apdu: encodeSelectByAid(aid),
    statusTable: PURSE_SELECT_STATUS,
    parse: (response) => parsePurseSelectResponse(response, aid),
  };
}
