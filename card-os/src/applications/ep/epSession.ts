/**
 * Volatile state of the EP application (one selection in one power session): the transaction an
 * INITIALIZE just opened. DEBIT and CREDIT are valid only as the very next command (spec §4), so
 * the pending transaction remembers the `Session.commandCount` of its INITIALIZE; any other
 * command in between, a power cut, a reset or a SELECT makes it unreachable.
 */
import type { CommandContext } from '../../runtime/context.js';

interface PendingCommon {
  /** Amount of the transaction, 1 to 2^32-1. */
  readonly amount: number;
  /** Terminal number from INITIALIZE, 6 bytes. */
  readonly terminal: Buffer;
  /** Balance answered by INITIALIZE. */
  readonly balance: number;
  /** The transaction's counter before it (online for a load, offline for a purchase). */
  readonly counter: number;
  /** `Session.commandCount` of the INITIALIZE. */
  readonly openedAt: number;
}

export interface EpPendingLoad extends PendingCommon {
  readonly kind: 'load';
  /** SESLK (8 bytes), already needed for MAC1. */
  readonly sessionKey: Buffer;
}

export interface EpPendingPurchase extends PendingCommon {
  readonly kind: 'purchase';
  /** Card random (4 bytes): SESPK also needs the TTSN that only DEBIT carries. */
  readonly random: Buffer;
}

export type EpPendingTransaction = EpPendingLoad | EpPendingPurchase;

export interface EpState {
  pending: EpPendingTransaction | undefined;
}

export function newEpState(): EpState {
  return { pending: undefined };
}

/**
 * The pending transaction of `kind` opened by the command just before this one, or undefined.
 * Always clears it: one INITIALIZE allows at most one DEBIT or CREDIT attempt, right or wrong.
 */
export function takePending<K extends EpPendingTransaction['kind']>(
  state: EpState,
  ctx: CommandContext,
  kind: K,
): Extract<EpPendingTransaction, { kind: K }> | undefined {
  const pending = state.pending;
  state.pending = undefined;
  if (pending === undefined || pending.kind !== kind || pending.openedAt !== ctx.session.commandCount - 1) return undefined;
  return pending as Extract<EpPendingTransaction, { kind: K }>;
}
