/**
 * How READ/UPDATE BINARY and READ/UPDATE RECORD name a file (ISO/IEC 7816-4, card interface
 * spec §2):
 *
 * ```
 * binary, SFI form:     P1 = 80 | SFI (SFI 01..1E), P2 = offset 00..FF; the EF becomes current
 * binary, offset form:  P1 P2 = offset 0000..7FFF in the current EF
 * record:               P1 = record number 01..FE, P2 = SFI << 3 | 04
 * ```
 */
import { checkIntParameter as checkInt } from './cardCommand.js';

/** A transparent EF by short file identifier (and offset 0..255), or the current EF at offset 0..7FFF. */
export type BinaryTarget = { readonly sfi: number; readonly offset?: number } | { readonly offset: number };

export const MAX_SFI = 0x1e;
export const MAX_BINARY_OFFSET = 0x7fff;

/** P1 and P2 for a binary command. Throws `CommandParameterError` for an SFI or offset out of range. */
export function binaryP1P2(target: BinaryTarget): { p1: number; p2: number } {
  if ('sfi' in target) {
    checkSfi(target.sfi);
    const offset = target.offset ?? 0;
    checkInt('offset', offset, 0, 0xff);
    return { p1: 0x80 | target.sfi, p2: offset };
  }
  checkInt('offset', target.offset, 0, MAX_BINARY_OFFSET);
  return { p1: target.offset >> 8, p2: target.offset & 0xff };
}

/** P2 of a record command: SFI << 3 | 04 ("record number in P1"). Throws `CommandParameterError`. */
export function recordP2(sfi: number): number {
  checkSfi(sfi);
  return (sfi << 3) | 0x04;
}

/** Throws `CommandParameterError` unless `record` is 1..254. */
export function checkRecordNumber(record: number): void {
  checkInt('record', record, 1, 0xfe);
}

/** Throws `CommandParameterError` unless `sfi` is 1..30. */
export function checkSfi(sfi: number): void {
  checkInt('sfi', sfi, 1, MAX_SFI);
}
