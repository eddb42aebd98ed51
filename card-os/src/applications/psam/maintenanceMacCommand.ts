/**
 * Maintenance MAC (card interface spec §5): the PSAM authorises APPLICATION BLOCK (and UNBLOCK)
 * of a citizen card's purse.
 *
 * ```
 * 80 74 00 00 15 data [Le]
 * data: card number (8, BCD) ‖ card challenge (4) ‖ header to protect CLA INS P1 P2 Lc (5) ‖
 *       RFU 00000000 (4)
 * response: MAC (4) = retail MAC (ISO/IEC 9797-1 alg. 3) under DAMK = diversify(MAMK, card
 *           number), ICV = challenge ‖ 00000000, over the header with padding method 2
 * ```
 * Only the two headers of spec §4 are signed, `84 1E 00 00 04` (APPLICATION BLOCK) and
 * `84 18 00 00 04` (APPLICATION UNBLOCK): a PSAM that MACed any header would authorise commands
 * nobody designed it for.
 *
 * Answers: `6A86` P1-P2 not 00 00; `6700` data not 21 bytes or Le below 4; `6A80` card number not
 * BCD, RFU not zero, or another header; `9403` no MAMK.
 */
import { SW, decodeBcd, diversifyKey, maintenanceMac, PURSE_MAC_LENGTH, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import { respond } from '../../runtime/response.js';
import { storedMamk } from './psamStore.js';

/** Bytes of the maintenance MAC command data. */
export const MAINTENANCE_REQUEST_LENGTH = 21;
/** APDU headers the PSAM MACs: APPLICATION BLOCK and APPLICATION UNBLOCK. */
export const MAINTENANCE_HEADERS: readonly string[] = ['841E000004', '8418000004'];

/** Handle maintenance MAC; see the top of this file. Throws `CardError` with those status words. */
export function maintenanceMacCommand(cmd: CommandApdu, ctx: CommandContext): Buffer {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  const data = cmd.data;
  if (data.length !== MAINTENANCE_REQUEST_LENGTH || (cmd.le !== undefined && cmd.le < PURSE_MAC_LENGTH)) {
    throw new CardError(SW.WRONG_LENGTH);
  }
  const cardNumber = data.subarray(0, 8);
  const challenge = data.subarray(8, 12);
  const header = data.subarray(12, 17);
  if (data.readUInt32BE(17) !== 0) throw new CardError(SW.INCORRECT_DATA, 'RFU bytes must be zero');
  if (!MAINTENANCE_HEADERS.includes(header.toString('hex').toUpperCase())) {
    throw new CardError(SW.INCORRECT_DATA, 'the PSAM MACs APPLICATION BLOCK and UNBLOCK only');
  }
  try {
    decodeBcd(cardNumber);
  } catch (err) {
    throw new CardError(SW.INCORRECT_DATA, 'card number is not BCD', { cause: err });
  }
  const mamk = storedMamk(ctx.store);
  if (mamk === undefined) throw new CardError(SW.KEY_NOT_FOUND);
  const damk = diversifyKey(mamk, cardNumber);
  try {
    return respond(maintenanceMac(damk, challenge, header), SW.OK);
  } finally {
    damk.fill(0);
  }
}
