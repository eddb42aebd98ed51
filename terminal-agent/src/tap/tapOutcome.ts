/**
 * What a tap ends with, for the gate's or POS's screen:
 *
 * - `approved`: the fare was debited and its record stored (`record`), or the fare was 0 and
 *   nothing moved (`record` undefined, `amount` 0);
 * - `declined`: nothing was debited, for certain; `reason` is the card's or the purse flow's
 *   (a `DeclineReason`) or the risk policy's (a `TapRiskRefusal`), `blocked` tells whether the
 *   risk policy had the purse blocked (present only when it asked to);
 * - `tapAgain`: the card left too early or the debit's answer was lost: present the same card
 *   again. `answerLost` true means the card may have debited; the terminal holds a pending
 *   intent that the next tap of this card recovers;
 * - `suspect`: the card debited (record stored) but the PSAM found MAC2 wrong or could not check it;
 * - `recovered`: a torn earlier tap of this card did debit: its record is now stored and this
 *   tap is its passage; nothing more was debited.
 */
import type { DeclineReason, SuspectReason } from '../purse/purseOutcomes.js';
import type { PurchaseRecord } from '../purse/purseRecords.js';
import type { Journey } from './fareRule.js';
import type { TapRiskRefusal } from './tapRisk.js';

export type TapOutcome =
  | {
      readonly kind: 'approved';
      readonly cardNumber: string;
      /** Fen debited, 0 to 2^32-1. */
      readonly amount: number;
      /** The purse's balance after the tap, fen. */
      readonly balanceAfter: number;
      readonly record: PurchaseRecord | undefined;
      readonly journey: Journey;
    }
  | {
      readonly kind: 'declined';
      /** Undefined when the card could not be read (e.g. not a purse). */
      readonly cardNumber: string | undefined;
      readonly reason: DeclineReason | TapRiskRefusal;
      readonly blocked?: boolean;
      readonly detail: string;
    }
  | { readonly kind: 'tapAgain'; readonly cardNumber: string | undefined; readonly answerLost: boolean; readonly detail: string }
  | {
      readonly kind: 'suspect';
      readonly cardNumber: string;
      readonly reason: SuspectReason;
      readonly amount: number;
      readonly balanceAfter: number;
      readonly record: PurchaseRecord;
      readonly journey: Journey;
    }
  | {
      readonly kind: 'recovered';
      readonly cardNumber: string;
      readonly record: PurchaseRecord;
      /** Undefined when recovery could not read the balance right after that purchase. */
      readonly balanceAfter: number | undefined;
    };
