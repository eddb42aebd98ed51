/**
 * Writes clearing's exceptions for one call and counts what it did: opens row verdicts once,
 * keeps gaps and balance mismatches in step with the facts (open, narrow, reopen, resolve).
 */
import type { ClearingExceptionRepository, NewException } from '../../data/clearingExceptionRepository.js';
import { AUTO_RESOLVER, EXCEPTION_KINDS, type ExceptionKind } from './clearingException.js';

export type ExceptionCounts = Record<ExceptionKind, number>;

export const noExceptions = (): ExceptionCounts => Object.fromEntries(EXCEPTION_KINDS.map((k) => [k, 0])) as ExceptionCounts;

export class ExceptionWriter {
  readonly #repo: ClearingExceptionRepository;
  readonly #at: string;
  readonly opened: ExceptionCounts = noExceptions();
  autoResolved = 0;

  constructor(repo: ClearingExceptionRepository, at: string) {
    this.#repo = repo;
    this.#at = at;
  }

  /** Opens an exception unless one of its kind and subject exists (in any status). */
  open(e: Omit<NewException, 'at' | 'details'> & { details: Record<string, unknown> }): void {
    if (this.#repo.open({ ...e, details: JSON.stringify(e.details), at: this.#at })) this.opened[e.kind] += 1;
  }

  /**
   * Makes the exception say `details`: opens it, updates it when open, opens again one clearing
   * itself had resolved; one staff closed stays closed.
   */
  keep(e: Omit<NewException, 'at' | 'details'> & { details: Record<string, unknown> }): void {
    const details = JSON.stringify(e.details);
    const held = this.#repo.find(e.kind, e.subject);
    if (held === undefined) {
      if (this.#repo.open({ ...e, details, at: this.#at })) this.opened[e.kind] += 1;
    } else if (held.status === 'open') {
      if (held.details !== details) this.#repo.updateDetails(held.id, details, this.#at);
    } else if (this.#repo.reopen(held.id, details, this.#at, AUTO_RESOLVER)) {
      this.opened[e.kind] += 1;
    }
  }

  /** Resolves the exception, if open, as explained by later records. */
  explained(kind: ExceptionKind, subject: string, resolution: string): void {
    const held = this.#repo.find(kind, subject);
    if (held === undefined || held.status !== 'open') return;
    if (this.#repo.resolve(held.id, { status: 'resolved', by: AUTO_RESOLVER, resolution, at: this.#at })) this.autoResolved += 1;
  }
}
