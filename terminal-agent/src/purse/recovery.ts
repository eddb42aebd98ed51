/**
 * Recovery of a torn transaction (card interface spec §6): the answer to DEBIT or CREDIT was
 * lost, so the terminal does not know whether the card committed. With the same card again:
 *
 * 1. power the card on, SELECT EP, read EF 0x15: another card number → `wrongCard`, nothing asked
 * 2. INITIALIZE again (amount 1: the CityCard EP refuses 0) to read the counter now;
 *    the counter as before → `notCommitted`
 * 3. GET TRANSACTION PROOF with the counter as it would stand after the transaction:
 *    9406 → `notCommitted`; MAC2 ‖ TAC → the transaction committed, unless the proof is another
 *    transaction's (a load's MAC2 differs from the one sent; a purchase's log record, at that
 *    counter, names another amount, terminal or time) → `notCommitted`
 * 4. `recovered`: the record with the card's proof; a load's TAC is checked by the HSM.
 *
 * When INITIALIZE is refused (purse empty or full, application blocked since) the proof alone
 * decides. When the card has been used for more transactions since and has no proof left, the
 * outcome is `unresolved`: clearing decides from the card's later records.
 *
 * Throws the `TransportError` of a card that is not there (keep `pending`, try again later), and
 * `CardProtocolError` for a card that breaks the protocol.
 */
import { EP_LOAD, EP_PURCHASE, toHex } from '@citycard/protocols';
import type { ApduChannel } from '../channel/apduChannel.js';
import { CardProtocolError } from '../errors.js';
import type { PurseLoadCustodian } from './custodianPorts.js';
import { checkLoadTac } from './loadOnline.js';
import {
  type EpLogRecord,
  type TransactionProof,
  getTransactionProofCommand,
  initializeForLoadCommand,
  initializeForPurchaseCommand,
} from '@citycard/protocols';
import type { RecoveryOutcome } from './purseOutcomes.js';
import type { LoadRecord, PendingLoad, PendingPurchase, PendingTransaction, PurchaseRecord } from './purseRecords.js';
import { DeclineSignal, findLogRecord, selectPurseCard, terminalBytes } from './purseSteps.js';
import { TransactionTrail } from './purseTrail.js';

export interface RecoveryContext {
  /** The slot the card is presented in again. */
  readonly card: ApduChannel;
  /** Power the card on first (default true); false when the caller has already done it. */
  readonly reconnect?: boolean | undefined;
}

export interface LoadRecoveryContext extends RecoveryContext {
  /** The HSM (role `load`), to check the recovered TAC. */
  readonly custodian: PurseLoadCustodian;
}

/** Recover a purchase whose DEBIT answer was lost; see the module comment. */
export async function recoverPurchase(ctx: RecoveryContext, pending: PendingPurchase): Promise<RecoveryOutcome<PurchaseRecord>> {
  const probe = await startRecovery(ctx, pending);
  if (probe.kind !== 'probed') return probe.outcome;
  const { trail, now } = probe;
  const decided = await askProof(trail, EP_PURCHASE, pending.offlineCounter, now);
  if (decided.kind !== 'proof') return decided.outcome;

  const logged = await findLogRecord(trail, EP_PURCHASE, pending.offlineCounter);
  if (logged !== undefined && !sameTransaction(logged, pending)) {
    return notCommitted(trail, 'another purchase committed with this offline counter');
  }
  const record: PurchaseRecord = {
    ...pending,
    mac2: toHex(decided.proof.mac2),
    tac: toHex(decided.proof.tac),
    mac2Verified: false,
    recovered: true,
    trail: trail.entries(),
  };
  return { kind: 'recovered', record, newBalance: balanceRightAfter(now, pending.offlineCounter) };
}

/** Recover a load whose CREDIT answer was lost; the recovered TAC is checked by the HSM. See the module comment. */
export async function recoverLoad(ctx: LoadRecoveryContext, pending: PendingLoad): Promise<RecoveryOutcome<LoadRecord>> {
  const probe = await startRecovery(ctx, pending);
  if (probe.kind !== 'probed') return probe.outcome;
  const { trail, now } = probe;
  const decided = await askProof(trail, EP_LOAD, pending.onlineCounter, now);
  if (decided.kind !== 'proof') return decided.outcome;
  // The proof of a load holds the host MAC2 the card accepted: only this session's MAC2 is ours.
  if (toHex(decided.proof.mac2) !== pending.mac2) return notCommitted(trail, 'another load committed with this online counter');

  const unchecked = { ...pending, tac: toHex(decided.proof.tac), recovered: true, trail: trail.entries() };
  const verdict = await checkLoadTac(ctx.custodian, unchecked);
  const record: LoadRecord = { ...unchecked, tacVerified: verdict === true };
  return { kind: 'recovered', record, newBalance: balanceRightAfter(now, pending.onlineCounter) };
}

/** Recover either kind of torn transaction. A load needs `custodian`; throws `TypeError` without it. */
export async function recoverTornTransaction(
  ctx: RecoveryContext & { readonly custodian?: PurseLoadCustodian | undefined },
  pending: PendingTransaction,
): Promise<RecoveryOutcome<PurchaseRecord | LoadRecord>> {
  if (pending.kind === 'purchase') return recoverPurchase(ctx, pending);
  const custodian = ctx.custodian;
  if (custodian === undefined) throw new TypeError('recovering a load needs the custodian to check its TAC');
  return recoverLoad({ ...ctx, custodian }, pending);
}

/** The outcomes that carry no record. */
type Settled = Exclude<RecoveryOutcome<never>, { readonly kind: 'recovered' }>;

/** The card's counter and balance at recovery, when INITIALIZE answered. */
interface CounterNow {
  readonly counter: number;
  readonly balance: number;
}

type Probe =
  | { readonly kind: 'probed'; readonly trail: TransactionTrail; readonly now: CounterNow | undefined }
  | { readonly kind: 'done'; readonly outcome: Settled };

async function startRecovery(ctx: RecoveryContext, pending: PendingTransaction): Promise<Probe> {
  const trail = new TransactionTrail({ card: ctx.card }, pending.trail);
  if (ctx.reconnect ?? true) await ctx.card.transport.powerOn();
  let cardNumber: string | undefined;
  try {
    cardNumber = (await selectPurseCard(trail)).cardNumber;
  } catch (err) {
    // A declined SELECT here means no EP (another kind of card) or the card left again.
    if (!(err instanceof DeclineSignal)) throw err;
    if (err.reason !== 'NOT_A_PURSE') throw err.cause;
  }
  if (cardNumber !== pending.cardNumber) {
    const outcome: Settled = { kind: 'wrongCard', presented: cardNumber ?? '', expected: pending.cardNumber, trail: trail.entries() };
    return { kind: 'done', outcome };
  }
  const now = await probeCounter(trail, pending);
  const before = pending.kind === 'purchase' ? pending.offlineCounter : pending.onlineCounter;
  if (now !== undefined && now.counter === before) {
    return { kind: 'done', outcome: notCommitted(trail, `the ${pending.kind} counter has not moved`) };
  }
  if (now !== undefined && now.counter < before) {
    return { kind: 'done', outcome: unresolved(trail, `the ${pending.kind} counter went back from ${before} to ${now.counter}`) };
  }
  return { kind: 'probed', trail, now };
}

/** Status words with which INITIALIZE tells nothing about the counter: the proof decides. */
const PROBE_REFUSALS: ReadonlySet<number> = new Set([0x9401, 0x6985, 0x6a81, 0x9303, 0x9402]);

async function probeCounter(trail: TransactionTrail, pending: PendingTransaction): Promise<CounterNow | undefined> {
  const input = { amount: 1, terminal: terminalBytes(pending.terminal) };
  try {
    if (pending.kind === 'purchase') {
      const init = await trail.send('card', initializeForPurchaseCommand(input));
      return { counter: init.offlineCounter, balance: init.balance };
    }
    const init = await trail.send('card', initializeForLoadCommand(input));
    return { counter: init.onlineCounter, balance: init.balance };
  } catch (err) {
    if (err instanceof CardProtocolError && err.sw !== undefined && PROBE_REFUSALS.has(err.sw)) return undefined;
    throw err;
  }
}

type ProofAnswer =
  | { readonly kind: 'proof'; readonly proof: Extract<TransactionProof, { available: true }> }
  | { readonly kind: 'done'; readonly outcome: Settled };

async function askProof(
  trail: TransactionTrail,
  type: typeof EP_LOAD | typeof EP_PURCHASE,
  before: number,
  now: CounterNow | undefined,
): Promise<ProofAnswer> {
  const proof = await trail.send('card', getTransactionProofCommand(type, before + 1));
  if (proof.available) return { kind: 'proof', proof };
  // 9406 is certain while the transaction would be the card's latest; after more transactions
  // the card may have dropped its proof.
  if (now === undefined || now.counter === before + 1) return { kind: 'done', outcome: notCommitted(trail, 'the card has no proof: 9406') };
  return { kind: 'done', outcome: unresolved(trail, `the card moved on to counter ${now.counter} and has no proof for ${before + 1}`) };
}

function sameTransaction(logged: EpLogRecord, pending: PendingPurchase): boolean {
  return (
    logged.amount === pending.amount &&
    logged.terminal.toUpperCase() === pending.terminal.toUpperCase() &&
    logged.date === pending.date &&
    logged.time === pending.time
  );
}

function balanceRightAfter(now: CounterNow | undefined, before: number): number | undefined {
  return now !== undefined && now.counter === before + 1 ? now.balance : undefined;
}

function notCommitted(trail: TransactionTrail, detail: string): Settled {
  return { kind: 'notCommitted', detail, trail: trail.entries() };
}

function unresolved(trail: TransactionTrail, detail: string): Settled {
  return { kind: 'unresolved', detail, trail: trail.entries() };
}
