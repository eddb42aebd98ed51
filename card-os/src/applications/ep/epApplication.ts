/**
 * The EP application, a PBOC-compatible electronic purse (card interface spec §4): AID
 * F0 43 49 54 59 45 50 01, DF FID 1001. Files in epFiles.ts, store layout in epStore.ts.
 *
 * | Command                 | APDU              | handler                 |
 * |-------------------------|-------------------|-------------------------|
 * | INITIALIZE FOR LOAD     | 80 50 00 02 0B    | initialize.ts           |
 * | INITIALIZE FOR PURCHASE | 80 50 01 02 0B    | initialize.ts           |
 * | CREDIT FOR LOAD         | 80 52 00 00 0B    | creditForLoad.ts        |
 * | DEBIT FOR PURCHASE      | 80 54 01 00 0F    | debitForPurchase.ts     |
 * | GET BALANCE             | 80 5C 00 02 04    | getBalance.ts           |
 * | GET TRANSACTION PROOF   | 80 5A 00 tt 02    | getTransactionProof.ts  |
 * | APPLICATION BLOCK       | 84 1E 00 00 04    | applicationMaintenance  |
 * | APPLICATION UNBLOCK     | 84 18 00 00 04    | applicationMaintenance  |
 *
 * SELECT answers `6F { 84 AID, A5 { 9F0C 1E <EF 0x15> } }` (`A5 00` before personalization);
 * READ BINARY (`00 B0 95 00 1E`, `00 B0 92 00 08`), READ RECORD (`00 B2 rec C4 17`) and GET
 * CHALLENGE are the runtime's.
 *
 * Decisions where the spec is silent:
 * - Amount 0 is refused by both INITIALIZEs with `6A80`: a zero load or purchase would spend a
 *   counter value and a log record and prove nothing.
 * - The offline counter at FFFF makes INITIALIZE FOR PURCHASE answer `9402` too (the counter
 *   cannot move past it).
 * - INITIALIZE FOR PURCHASE checks the max single purchase (`6985`) before the balance (`9401`):
 *   the limit holds whatever the balance.
 * - Proofs kept: the last 10 of each type (as many as the log keeps records), found by the counter
 *   after the transaction. A terminal needs only the newest; the slack covers a card used
 *   elsewhere before the terminal that lost an answer sees it again. Older ones answer `9406`.
 * - The proof of a load holds the host's MAC2 the card verified, and its TAC.
 * - The log record of a load holds the online counter before it, the load terminal's number (from
 *   INITIALIZE FOR LOAD) and the host date and time (from CREDIT FOR LOAD).
 * - One INITIALIZE allows one DEBIT/CREDIT attempt: a wrong MAC uses it up (the terminal starts
 *   again with a fresh random). There is no persistent MAC-failure counter.
 * - A blocked application answers `6A81` to INITIALIZE only; SELECT answers `9000`, and GET
 *   BALANCE, GET TRANSACTION PROOF and the reads keep working, so a terminal can still settle a
 *   torn transaction on a card that got hotlisted meanwhile.
 * - BLOCK/UNBLOCK need a 4-byte challenge from the command right before (`6985` otherwise, also
 *   for a challenge already used); blocking twice is a no-op `9000`.
 * - Before personalization (no lifecycle, purse record or limits) transactions and GET BALANCE
 *   answer `6985`; a missing key answers `9403`; a stored value of the wrong shape `6581`.
 */
import { encodeTlv, type CommandApdu } from '@citycard/protocols';
import type { CommandContext } from '../../runtime/context.js';
import type { InstalledApplication } from '../../runtime/installedApplication.js';
import { defineApplication, type Application } from '../../runtime/application.js';
import { applicationMaintenance } from './applicationMaintenance.js';
import { creditForLoad } from './creditForLoad.js';
import { debitForPurchase } from './debitForPurchase.js';
import { EP_ISSUER_EF, EP_LIMITS_EF, EP_LOG_EF } from './epFiles.js';
import { newEpState, type EpState } from './epSession.js';
import { EP_AID, EP_DF_FID, EP_SFI } from './epStore.js';
import { getBalance } from './getBalance.js';
import { getTransactionProof } from './getTransactionProof.js';
import { initialize } from './initialize.js';

/** Instructions of the EP's proprietary commands. */
export const EP_INS = {
  INITIALIZE: 0x50,
  CREDIT_FOR_LOAD: 0x52,
  DEBIT_FOR_PURCHASE: 0x54,
  GET_TRANSACTION_PROOF: 0x5a,
  GET_BALANCE: 0x5c,
  APPLICATION_UNBLOCK: 0x18,
  APPLICATION_BLOCK: 0x1e,
} as const;

/** FCI tag carrying EF 0x15 inside `A5`. */
export const EP_FCI_ISSUER_TAG = 0x9f0c;

const EMPTY = Buffer.alloc(0);

function fciProprietary(_ctx: CommandContext, app: InstalledApplication): Uint8Array {
  const ef = app.df.efBySfi(EP_SFI.issuer);
  if (ef === undefined || ef.type !== 'transparent' || ef.size() === 0) return EMPTY;
  return encodeTlv(EP_FCI_ISSUER_TAG, ef.read(0, ef.size()));
}

type Handler = (cmd: CommandApdu, ctx: CommandContext, app: InstalledApplication, state: EpState) => Buffer;

function command(cla: number, ins: number, handle: Handler): { cla: number; ins: number; handle: Handler } {
  return { cla, ins, handle };
}

/** The EP application definition; install it in the citizen card's `VirtualCard`. */
export const epApplication: Application<EpState> = defineApplication<EpState>({
  name: 'EP',
  aid: EP_AID,
  fid: EP_DF_FID,
  files: [EP_ISSUER_EF, EP_LIMITS_EF, EP_LOG_EF],
  fciProprietary,
  createVolatileState: newEpState,
  commands: [
    command(0x80, EP_INS.INITIALIZE, (cmd, ctx, _app, state) => initialize(cmd, ctx, state)),
    command(0x80, EP_INS.CREDIT_FOR_LOAD, creditForLoad),
    command(0x80, EP_INS.DEBIT_FOR_PURCHASE, debitForPurchase),
    command(0x80, EP_INS.GET_BALANCE, (cmd, ctx) => getBalance(cmd, ctx)),
    command(0x80, EP_INS.GET_TRANSACTION_PROOF, (cmd, ctx) => getTransactionProof(cmd, ctx)),
    command(0x84, EP_INS.APPLICATION_BLOCK, (cmd, ctx) => applicationMaintenance(cmd, ctx, 'blocked')),
    command(0x84, EP_INS.APPLICATION_UNBLOCK, (cmd, ctx) => applicationMaintenance(cmd, ctx, 'operational')),
  ],
});
