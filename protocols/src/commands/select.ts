/**
 * SELECT (ISO/IEC 7816-4, card interface spec §2):
 *
 * ```
 * by AID:  00 A4 04 00 Lc AID 00    AID 5..16 bytes; answers an FCI
 *          00 A4 04 0C Lc AID       no FCI
 * by FID:  00 A4 00 00 02 FID       FID 0000..FFFF (MF 3F00)
 *          00 A4 00 0C 02 FID       no FCI
 * FCI:     6F L
 *             84 L  DF name (the AID)
 *             A5 L  proprietary data; the EP puts the 30-byte EF 0x15 content in 9F0C
 * FCP:     62 L ...  what a card may answer instead when SELECT by FID lands on an EF
 * ```
 */
import type { ResponseApdu } from '../apdu.js';
import { encodeCommandApdu } from '../apdu.js';
import { TlvError } from '../errors.js';
import { type Tlv, decodeSingleTlv } from '../tlv.js';
import {
  COMMON_ERROR_STATUS,
  type CardCommand,
  CommandParameterError,
  ResponseDataError,
  type StatusTable,
  requireDataLength,
  checkIntParameter,
  requireResultStatus,
} from './cardCommand.js';

export const SELECT_INS = 0xa4;

/** Length of the EP's EF 0x15 content carried in `9F0C`. */
export const EP_ISSUER_DATA_LENGTH = 30;

export interface Fci {
  /** `84`, the DF name (for an application, its AID). */
  readonly dfName: Buffer | undefined;
  /** Children of `A5`, undefined when `A5` is absent. */
  readonly proprietary: readonly Tlv[] | undefined;
  /** `9F0C` inside `A5`: the EP's EF 0x15 content (30 bytes), undefined for other applications. */
  readonly issuerDiscretionaryData: Buffer | undefined;
  /** The whole `6F` template as received. */
  readonly raw: Buffer;
}

export interface SelectResult {
  /** The FCI, or undefined when none was asked for (P2 0C) or the card sent none. */
  readonly fci: Fci | undefined;
  /** The raw `62` FCP template an EF selected by FID may answer with; undefined otherwise. */
  readonly fcp: Buffer | undefined;
}

export interface SelectOptions {
  /** Ask for the FCI (P2 00) or not (P2 0C). Default: true by AID, true by FID. */
  readonly fci?: boolean;
}

export const SELECT_STATUS: StatusTable = [
  { sw: 0x9000, outcome: 'result', meaning: 'selected' },
  { sw: 0x6a81, outcome: 'error', meaning: 'application blocked' },
  { sw: 0x6a82, outcome: 'error', meaning: 'application or file not found' },
  ...COMMON_ERROR_STATUS,
];

/** Encode SELECT by AID. Throws `CommandParameterError` for an AID not 5..16 bytes. */
export function encodeSelectByAid(aid: Uint8Array, options: SelectOptions = {}): Buffer {
  if (aid.length < 5 || aid.length > 16) {
    throw new CommandParameterError('aid', `AID must be 5 to 16 bytes, got ${aid.length}`);
  }
  const fci = options.fci ?? true;
  return encodeCommandApdu({ cla: 0x00, ins: SELECT_INS, p1: 0x04, p2: fci ? 0x00 : 0x0c, data: aid, le: fci ? 256 : undefined });
}

/** Encode SELECT by file identifier. Throws `CommandParameterError` for a FID outside 0000..FFFF. */
export function encodeSelectByFid(fid: number, options: SelectOptions = {}): Buffer {
  checkIntParameter('fid', fid, 0, 0xffff);
  const p2 = (options.fci ?? true) ? 0x00 : 0x0c;
  return encodeCommandApdu({ cla: 0x00, ins: SELECT_INS, p1: 0x00, p2, data: Buffer.from([fid >> 8, fid & 0xff]) });
}

/**
 * Parse an FCI: exactly one `6F` template; `84` and `A5` each at most once; `9F0C` inside `A5`,
 * when present, 30 bytes. Throws `ResponseDataError` (with the `TlvError` as cause for bad BER-TLV).
 */
export function parseFci(data: Uint8Array): Fci {
  let top: Tlv;
  try {
    top = decodeSingleTlv(data);
  } catch (err) {
    if (err instanceof TlvError) throw new ResponseDataError(`FCI is not well-formed BER-TLV: ${err.message}`, { cause: err });
    throw err;
  }
  if (top.tag !== 0x6f) throw new ResponseDataError(`FCI must be template 6F, found ${top.tag.toString(16).toUpperCase()}`);
  const children = top.children ?? [];
  const dfName = single(children, 0x84);
  const a5 = single(children, 0xa5);
  const proprietary = a5 === undefined ? undefined : (a5.children ?? []);
  const issuerData = single(proprietary ?? [], 0x9f0c)?.value;
  if (issuerData !== undefined && issuerData.length !== EP_ISSUER_DATA_LENGTH) {
    throw new ResponseDataError(`FCI 9F0C must be ${EP_ISSUER_DATA_LENGTH} bytes, got ${issuerData.length}`);
  }
  return { dfName: dfName?.value, proprietary, issuerDiscretionaryData: issuerData, raw: Buffer.from(data) };
}

/**
 * Parse a SELECT answer. `expect.fci`: true, the data must be an FCI; `'optional'` (by FID), an
 * FCI, an FCP `62` or nothing; false, nothing. With `expect.aid` the FCI must carry `84` equal
 * to that AID and an `A5`. Throws `ResponseDataError`.
 */
export function parseSelectResponse(
  response: ResponseApdu,
  expect: { readonly fci: boolean | 'optional'; readonly aid?: Uint8Array | undefined },
): SelectResult {
  requireResultStatus('SELECT', response.sw, 0x9000);
  if (expect.fci === false) {
    requireDataLength('SELECT', response.data, 0);
    return { fci: undefined, fcp: undefined };
  }
  if (expect.fci === 'optional') {
    if (response.data.length === 0) return { fci: undefined, fcp: undefined };
    if (response.data[0] === 0x62) return { fci: undefined, fcp: parseFcp(response.data) };
  }
  const fci = parseFci(response.data);
  if (expect.aid !== undefined) {
    if (fci.dfName === undefined) throw new ResponseDataError('SELECT: FCI has no DF name (84)');
    if (!fci.dfName.equals(expect.aid)) {
      throw new ResponseDataError(`SELECT: FCI names ${fci.dfName.toString('hex').toUpperCase()}, not the selected AID`);
    }
    if (fci.proprietary === undefined) {
      throw new ResponseDataError('SELECT: FCI has no proprietary template (A5)');
    }
  }
  return { fci, fcp: undefined };
}

/** SELECT by AID ready to send. Throws as {@link encodeSelectByAid}. */
export function selectByAidCommand(aid: Uint8Array, options: SelectOptions = {}): CardCommand<SelectResult> {
  const fci = options.fci ?? true;
  const copy = Buffer.from(aid);
  return {
    name: 'SELECT',
    apdu: encodeSelectByAid(copy, options),
    statusTable: SELECT_STATUS,
    parse: (response) => parseSelectResponse(response, { fci, aid: copy }),
  };
}

/** SELECT by FID ready to send; with P2 00 the FCI is optional (the command carries no Le). Throws as {@link encodeSelectByFid}. */
export function selectByFidCommand(fid: number, options: SelectOptions = {}): CardCommand<SelectResult> {
  const fci = options.fci ?? true;
  return {
    name: 'SELECT',
    apdu: encodeSelectByFid(fid, options),
    statusTable: SELECT_STATUS,
    parse: (response) => parseSelectResponse(response, { fci: fci ? 'optional' : false }),
  };
}

// The FCP's content is the card's business; only its framing is checked.
function parseFcp(data: Uint8Array): Buffer {
  try {
    decodeSingleTlv(data);
  } catch (err) {
    if (err instanceof TlvError) throw new ResponseDataError(`FCP is not well-formed BER-TLV: ${err.message}`, { cause: err });
    throw err;
  }
  return Buffer.from(data);
}

function single(list: readonly Tlv[], tag: number): Tlv | undefined {
  const found = list.filter((t) => t.tag === tag);
  if (found.length > 1) throw new ResponseDataError(`FCI: tag ${tag.toString(16).toUpperCase()} appears twice`);
  return found[0];
}
