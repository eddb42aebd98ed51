/**
 * Blocking a hotlisted card's purse (card interface spec §4-5), as a short story:
 *
 * 1. PSAM: SELECT
 * 2. card: SELECT EP, read EF 0x15: only the card named is blocked
 * 3. card: GET CHALLENGE (4 bytes)
 * 4. PSAM: maintenance MAC over `84 1E 00 00 04` with that challenge
 * 5. card: APPLICATION BLOCK with the MAC   → later INITIALIZE answers 6A81
 *
 * Blocking is idempotent: a card blocked already answers 9000 again. Outcomes: `blocked`,
 * `wrongCard` (another card is presented: nothing is sent to it after the read), `refused` (the
 * card refused the MAC: 9302, or the challenge was lost: 6985).
 *
 * Throws `CommandParameterError` for a card number that is not 16 digits (nothing sent),
 * `TransportError` when the card or PSAM fails (try again when the card is back), and
 * `CardProtocolError` for other status words.
 */
import { CommandParameterError, getChallengeCommand } from '@citycard/protocols';
import type { ApduChannel } from '../channel/apduChannel.js';
import { CardProtocolError } from '../errors.js';
import {
  applicationBlockCommand,
  applicationMaintenanceHeader,
  psamMaintenanceMacCommand,
  readEpIssuerDataCommand,
  selectEpCommand,
  selectPsamCommand,
} from '@citycard/protocols';
import type { BlockOutcome } from './purseOutcomes.js';
import { cardNumberBytes } from './purseSteps.js';
import { TransactionTrail } from './purseTrail.js';

export interface BlockContext {
  /** The citizen card's slot. */
  readonly card: ApduChannel;
  /** The PSAM's slot. */
  readonly psam: ApduChannel;
}

/** Status words of APPLICATION BLOCK that leave the card as it was. */
const BLOCK_REFUSALS: ReadonlySet<number> = new Set([0x9302, 0x6985, 0x9403]);

/** Block the purse of the card numbered `cardNumber` (16 digits); see the module comment. */
export async function blockHotlistedCard(ctx: BlockContext, cardNumber: string): Promise<BlockOutcome> {
  if (typeof cardNumber !== 'string' || !/^[0-9]{16}$/.test(cardNumber)) {
    throw new CommandParameterError('cardNumber', 'card number must be 16 digits');
  }
  const trail = new TransactionTrail({ card: ctx.card, psam: ctx.psam });
  await trail.send('psam', selectPsamCommand());
  await trail.send('card', selectEpCommand());
  const presented = (await trail.send('card', readEpIssuerDataCommand())).cardNumber;
  if (presented !== cardNumber) return { kind: 'wrongCard', presented, expected: cardNumber, trail: trail.entries() };

  const challenge = await trail.send('card', getChallengeCommand(4));
  const header = applicationMaintenanceHeader('block');
  const mac = await trail.send('psam', psamMaintenanceMacCommand({ cardNumber: cardNumberBytes(cardNumber), challenge, header }));
  try {
    await trail.send('card', applicationBlockCommand(mac));
  } catch (err) {
    if (err instanceof CardProtocolError && err.sw !== undefined && BLOCK_REFUSALS.has(err.sw)) {
      return { kind: 'refused', sw: err.sw, detail: err.message, trail: trail.entries() };
    }
    throw err;
  }
  return { kind: 'blocked', cardNumber, trail: trail.entries() };
}
