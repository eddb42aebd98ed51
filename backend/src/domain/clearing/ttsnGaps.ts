/**
 * TTSN gaps per PSAM (named by the terminal number in its records): the TTSNs of verified
 * purchases are known to have been issued; a missing one between two known ones is a TTSN_GAP
 * (docs/clearing-checks.md, "Gaps"). A PSAM's first TTSN is not known, so nothing is missing
 * below its lowest known one.
 */
import type { ClearingChainRepository, Known } from '../../data/clearingChainRepository.js';
import type { ExceptionWriter } from './exceptionWriter.js';
import { KnownNumbers, addArrivals } from './gaps.js';

export const ttsnGapSubject = (terminal: string, ttsn: number): string => `terminal:${terminal}:${ttsn}`;

/**
 * Adds a terminal's TTSNs of one call (the first row of each, in the order given) and keeps its
 * TTSN gaps in step. One read for the known TTSNs around them.
 */
export function addTtsns(chains: ClearingChainRepository, writer: ExceptionWriter, terminal: string, arrivals: readonly Known[]): void {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const a of arrivals) {
    from = Math.min(from, a.n);
    to = Math.max(to, a.n);
  }
  const known = new KnownNumbers(chains.ttsnWindow(terminal, from, to));
  const fresh = new Map<number, Known>();
  for (const a of arrivals) if (!known.has(a.n) && !fresh.has(a.n)) fresh.set(a.n, a);
  for (const a of fresh.values()) chains.addTtsn(terminal, a.n, a.inboxId);
  addArrivals(known, undefined, [...fresh.values()], {
    gap: (at, gapFrom, gapTo) =>
      writer.keep({
        kind: 'TTSN_GAP',
        subject: ttsnGapSubject(terminal, at.n),
        cardNumber: null,
        terminalNumber: terminal,
        inboxId: at.inboxId,
        details: { missingFrom: gapFrom, missingTo: gapTo, missingCount: gapTo - gapFrom + 1, nextTtsn: at.n },
      }),
    filled: (at, by) => writer.explained('TTSN_GAP', ttsnGapSubject(terminal, at.n), `filled by inbox row ${by}`),
  });
}
