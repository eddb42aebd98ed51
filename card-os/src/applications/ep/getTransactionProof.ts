/**
 * GET TRANSACTION PROOF (spec §4, §6): how a terminal that lost the answer to DEBIT or CREDIT
 * learns whether the transaction committed, and gets its MAC2 and TAC.
 *
 * ```
 * 80 5A 00 tt 02  counter after the transaction (2)  [Le]     tt = 02 load, 06 purchase
 *   → MAC2 (4) ‖ TAC (4)
 * ```
 * Answers: `9000` with MAC2 ‖ TAC (also while the application is blocked); `9406` no committed
 * transaction of that type left its counter at that value (or it is older than the last ten of
 * its type); `6A86` P1 not 00 or P2 not 02/06; `6700` data not 2 bytes or Le below 8.
 */
import { EP_LOAD, EP_PURCHASE, SW, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { CommandContext } from '../../runtime/context.js';
import { respond } from '../../runtime/response.js';
import { checkLengths } from './commandChecks.js';
import { storedEpProof } from './transactionProofs.js';

const RESPONSE_LENGTH = 8;

export function getTransactionProof(cmd: CommandApdu, ctx: CommandContext): Buffer {
  if (cmd.p1 !== 0x00 || (cmd.p2 !== EP_LOAD && cmd.p2 !== EP_PURCHASE)) throw new CardError(SW.INCORRECT_P1P2);
  checkLengths(cmd, 2, RESPONSE_LENGTH);
  const proof = storedEpProof(ctx.store, cmd.p2, cmd.data.readUInt16BE(0));
  if (proof === undefined) throw new CardError(SW.PROOF_NOT_AVAILABLE);
  return respond(Buffer.concat([proof.mac2, proof.tac]), SW.OK);
}
