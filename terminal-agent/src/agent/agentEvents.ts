/**
 * What a gate or POS runner tells its screen: its state, each tap's result, faults, and a status
 * snapshot for the status line (mode, terminal, hotlist, upload backlog, counters).
 */
import type { TapOutcome } from '../tap/tapOutcome.js';
import type { TapCounts } from './tapCounters.js';

/** Where the runner's loop is. */
export type RunnerState =
  | 'starting'
  | 'waitingForSam'
  | 'waitingForAmount'
  | 'waitingForCard'
  | 'processing'
  | 'waitingForRemoval'
  | 'stopping'
  | 'stopped';

/** How one tap ended: an outcome of the tap flow, or a terminal fault (PSAM, store, card protocol). */
export type TapResult =
  | {
      readonly kind: 'outcome';
      readonly outcome: TapOutcome;
      /** The purse's balance after the tap when known (read again after INSUFFICIENT_FUNDS), fen. */
      readonly balance: number | undefined;
    }
  | { readonly kind: 'fault'; readonly error: Error };

export interface TapReport {
  /** The reader the card was in. */
  readonly reader: string;
  /** When the card was handed to the runner (the runner's clock). */
  readonly at: Date;
  /** From the card handed to the runner to the decision, ms (monotonic clock). */
  readonly elapsedMs: number;
  readonly result: TapResult;
}

export interface AgentStatus {
  readonly mode: 'gate' | 'pos';
  readonly state: RunnerState;
  /** The PSAM's terminal number (12 hex digits) once its slot is open. */
  readonly terminal: string | undefined;
  /** The local hotlist, when the runner follows one. */
  readonly hotlist: { readonly version: number; readonly lastSyncAt: Date | undefined } | undefined;
  /** Records waiting for upload. */
  readonly uploadBacklog: number;
  readonly counts: TapCounts;
}

export interface RunnerEvents {
  state: [state: RunnerState];
  /** The SAM slot is open: its terminal number. */
  ready: [terminal: string];
  tap: [report: TapReport];
  /** A fault outside a tap (the reader manager, a background task); the runner carries on. */
  fault: [error: Error];
}
