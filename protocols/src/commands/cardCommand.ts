/**
 * What a terminal needs to send one command and understand its answer, without doing any I/O:
 * the encoded C-APDU, the status words the command family expects (Keyple-style per-command
 * status table) and a pure parser of the response.
 *
 * Every command family file exports `encode…` (bytes), `parse…Response` (pure), a `…_STATUS`
 * table and a `…Command` builder returning a {@link CardCommand}. A channel sends the APDU, looks
 * the status word up in the table and then either calls `parse` (outcome `result`) or reports the
 * table's meaning as a failure (outcome `error`); a status word missing from the table is a
 * protocol violation by the card.
 */
import type { ResponseApdu } from '../apdu.js';
import { ProtocolError } from '../errors.js';
import { swHex } from '../sw.js';

/** One status word (or, with `mask`, a family such as `63Cx`) a command family expects. */
export interface StatusExpectation {
  readonly sw: number;
  /** Bits of the status word that must equal `sw`; `FFFF` when absent. `FFF0` matches `63Cx`. */
  readonly mask?: number;
  /** `result`: the parser interprets the answer; `error`: the command failed for this reason. */
  readonly outcome: 'result' | 'error';
  /** What the status word means for this command, in words a terminal can log or show. */
  readonly meaning: string;
}

export type StatusTable = readonly StatusExpectation[];

/** A command ready to send: bytes, expected status words, pure response parser. */
export interface CardCommand<T> {
  /** Command name for logs and trails, e.g. `READ BINARY`. */
  readonly name: string;
  /** The encoded C-APDU. */
  readonly apdu: Buffer;
  readonly statusTable: StatusTable;
  /**
   * Interpret a response whose status word the table lists with outcome `result`. Throws
   * `ResponseDataError` (a `ProtocolError`) when the data is not what the command family defines.
   */
  parse(response: ResponseApdu): T;
}

/** The table entry matching `sw`, or undefined when the command family does not expect it. */
export function findExpectedStatus(table: StatusTable, sw: number): StatusExpectation | undefined {
  return table.find((entry) => (sw & (entry.mask ?? 0xffff)) === entry.sw);
}

/** Response data a command family does not define: wrong length, malformed FCI, status not a result. */
export class ResponseDataError extends ProtocolError {
  override readonly name: string = 'ResponseDataError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A command parameter outside its range (PIN format, SFI, offset, challenge length…). */
export class CommandParameterError extends ProtocolError {
  override readonly name: string = 'CommandParameterError';
  /** Status word a card answers with when a command carries such a parameter: 6A80 incorrect data. */
  readonly sw: number = 0x6a80;
  /** Name of the parameter at fault. */
  readonly parameter: string;
  constructor(parameter: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.parameter = parameter;
  }
}

/** Throws `CommandParameterError` unless `value` is an integer `min`..`max`. */
export function checkIntParameter(parameter: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CommandParameterError(parameter, `${parameter} must be an integer ${min} to ${max}, got ${value}`);
  }
}

/** Throws `ResponseDataError` unless `sw` is one of `allowed` (parsers call it defensively). */
export function requireResultStatus(name: string, sw: number, ...allowed: number[]): void {
  if (!allowed.includes(sw)) throw new ResponseDataError(`${name}: status word ${swHex(sw)} carries no result`);
}

/** Throws `ResponseDataError` unless `data` is exactly `length` bytes. */
export function requireDataLength(name: string, data: Uint8Array, length: number): void {
  if (data.length !== length) {
    throw new ResponseDataError(`${name}: expected ${length} data bytes, got ${data.length}`);
  }
}

/** Status words every command family shares: the card refusing the APDU itself. */
export const COMMON_ERROR_STATUS: StatusTable = [
  { sw: 0x6700, outcome: 'error', meaning: 'wrong length' },
  { sw: 0x6a86, outcome: 'error', meaning: 'incorrect parameters P1-P2' },
  { sw: 0x6d00, outcome: 'error', meaning: 'instruction not supported' },
  { sw: 0x6e00, outcome: 'error', meaning: 'class not supported' },
  { sw: 0x6581, outcome: 'error', meaning: 'memory failure' },
];
