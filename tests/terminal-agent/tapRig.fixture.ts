/**
 * In-process cards for the tap suites: a test-profile EP card and PSAMs (card-os VirtualCards
 * over any PersistentStore), and the card's own view of its purse (balance, offline counter,
 * log) to compare the terminal's store against. Re-exports tapCut.fixture.ts (the cut slot).
 */
import { type PersistentStore, VirtualCard } from '@citycard/card-os';
import {
  EP_PURCHASE,
  type EpLogRecord,
  fromHex,
  getBalanceCommand,
  initializeForPurchaseCommand,
  readEpLogRecordCommand,
  selectEpCommand,
} from '@citycard/protocols';
import type { ApduChannel } from '@citycard/terminal-agent';
import { epApplication, isEpPersonalized } from '../../card-os/src/applications/ep/index.js';
import { isPsamPersonalized, psamApplication } from '../../card-os/src/applications/psam/index.js';
import { personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';
import { personalizePsamTestProfile } from '../../card-os/src/personalization/psamTestProfile.js';
import { seededRandom } from '../card-os/support/seededRandom.js';
import { TAP_TIME, TIME_ZONE } from './tapCut.fixture.js';

export * from './tapCut.fixture.js';

/** Personalize `store` as an EP test card (once) and return the card. */
export function epCard(store: PersistentStore, cardNumber: string, balance: number, seed: number): VirtualCard {
  if (!isEpPersonalized(store)) personalizeEpTestProfile(store, { cardNumber, balance, now: TAP_TIME, timeZone: TIME_ZONE });
  return new VirtualCard({ store, applications: [epApplication], random: seededRandom(seed) });
}

/** Personalize `store` as a test PSAM of `terminal` (12 digits, once) and return the card. */
export function psamCard(store: PersistentStore, terminal: string): VirtualCard {
  if (!isPsamPersonalized(store)) personalizePsamTestProfile(store, { terminalNumber: terminal });
  return new VirtualCard({ store, applications: [psamApplication] });
}

export interface CardTruth {
  readonly balance: number;
  /** The offline counter now (before the next purchase). */
  readonly offlineCounter: number;
  /** The purchases of the card's log, newest first (at most 10). */
  readonly purchases: readonly EpLogRecord[];
}

const PROBE_TERMINAL = fromHex('000000000001');

/**
 * The card's own view of its purse, read over `card` (powered on): GET BALANCE, the counter from
 * INITIALIZE FOR PURCHASE of 1 fen (nothing is debited without DEBIT), and EF 0x18.
 */
export async function cardTruth(card: ApduChannel): Promise<CardTruth> {
  await card.send(selectEpCommand());
  const balance = await card.send(getBalanceCommand());
  const purchases: EpLogRecord[] = [];
  for (let n = 1; n <= 10; n++) {
    const record = await card.send(readEpLogRecordCommand(n));
    if (record === undefined) break;
    if (record.type === EP_PURCHASE) purchases.push(record);
  }
  const init = await card.send(initializeForPurchaseCommand({ amount: 1, terminal: PROBE_TERMINAL }));
  return { balance, offlineCounter: init.offlineCounter, purchases };
}
