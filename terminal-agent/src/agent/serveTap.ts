/**
 * One tap as a runner serves it: power the card on, run the tap flow with the open SAM, and
 * when the purse was short read its balance for the screen. Faults (PSAM, store, a card breaking
 * the protocol) become a `fault` result and close the SAM slot so the next tap reopens it; a
 * debit that may have happened is covered by the tap flow's pending intent whatever happens here.
 */
import { getBalanceCommand, selectEpCommand } from '@citycard/protocols';
import { ApduChannel } from '../channel/apduChannel.js';
import { TransportError } from '../errors.js';
import { DECLINE_REASON } from '../purse/purseOutcomes.js';
import type { CardSlot } from '../readers/readerManager.js';
import type { FareRule } from '../tap/fareRule.js';
import { processTap } from '../tap/processTap.js';
import type { TapContext } from '../tap/tapContext.js';
import type { TapOutcome } from '../tap/tapOutcome.js';
import type { TapReport, TapResult } from './agentEvents.js';
import type { SamSlot } from './samSlot.js';

/** The parts of a tap context that stay the same from tap to tap. */
export type TapSettings = Pick<TapContext, 'store' | 'risk' | 'clock' | 'timeZone' | 'recoveryWindowMs'>;

/** Serve the card in `slot` under `fare` with the open `sam`. Never throws for a tap's faults; see the module comment. */
export async function serveTap(settings: TapSettings, sam: SamSlot, slot: CardSlot, fare: FareRule): Promise<TapReport> {
  const at = settings.clock();
  const started = performance.now();
  const result = await tapResult(settings, sam, slot, fare);
  return { reader: slot.reader, at, elapsedMs: performance.now() - started, result };
}

async function tapResult(settings: TapSettings, sam: SamSlot, slot: CardSlot, fare: FareRule): Promise<TapResult> {
  try {
    await slot.transport.powerOn();
  } catch (err) {
    if (!(err instanceof TransportError)) return fault(err);
    return { kind: 'outcome', outcome: { kind: 'tapAgain', cardNumber: undefined, answerLost: false, detail: err.message }, balance: undefined };
  }
  const card = new ApduChannel(slot.transport, { clock: settings.clock });
  let outcome: TapOutcome;
  try {
    outcome = await processTap({ ...settings, card, ...sam.session() }, fare);
  } catch (err) {
    sam.invalidate();
    return fault(err);
  }
  return { kind: 'outcome', outcome, balance: await balanceAfter(outcome, card) };
}

async function balanceAfter(outcome: TapOutcome, card: ApduChannel): Promise<number | undefined> {
  switch (outcome.kind) {
    case 'approved':
    case 'suspect':
    case 'recovered':
      return outcome.balanceAfter;
    case 'declined':
      if (outcome.reason !== DECLINE_REASON.INSUFFICIENT_FUNDS) return undefined;
      try {
        await card.send(selectEpCommand());
        return await card.send(getBalanceCommand());
      } catch {
        // The balance is only shown: a card taken away meanwhile leaves it unknown.
        return undefined;
      }
    case 'tapAgain':
      return undefined;
  }
}

function fault(err: unknown): TapResult {
  return { kind: 'fault', error: err instanceof Error ? err : new Error(String(err)) };
}
