/**
 * PIN management (ISO 7816-4 §7.5): VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER on the
 * PINs of the selected application. PIN blocks are 8 bytes: the digits in ASCII, padded with FF.
 *
 * ```
 * 00 20 00 ref [08 PIN]                 VERIFY; without data: the verification status
 * 00 24 00 ref 10 oldPIN ‖ newPIN       CHANGE REFERENCE DATA
 * 00 2C 00 ref 10 PUK ‖ newPIN          RESET RETRY COUNTER (ref = the PIN; the PUK that
 *                                       unblocks it is checked)
 * ```
 * Every attempt first commits the decremented tries counter and only then compares (constant
 * time), so cutting power after seeing the answer cannot save a try; success restores the
 * counter in the same commit as any other change of the command.
 *
 * Answers: `9000`; `63Cx` wrong (x tries left; `63C0` for the try that blocks); `6983` blocked, or
 * the application is dead (its PUK is blocked: every command here answers `6983`); `6A86` P1
 * not 00; `6A88` no such reference in the selected application (or none selected); `6700` wrong Lc, or
 * an Le; `6A80` a block that is not 4-8 digits (PUK: 8) padded with FF (no try is used);
 * `6985` reference data never personalized. The status form of VERIFY answers `9000` when
 * verified since the last power on / SELECT, else `63Cx` (or `6983`).
 */
import { SW, swWrongPin, type CommandApdu } from '@citycard/protocols';
import { CardError } from '../runtime/cardError.js';
import type { CommandContext } from '../runtime/context.js';
import type { InstalledApplication } from '../runtime/installedApplication.js';
import { status } from '../runtime/response.js';
import { StoreTransaction } from '../runtime/transaction.js';
import { SW_REFERENCE_NOT_FOUND } from './isoStatus.js';
import type { PinObject } from '../security/pinObject.js';
import { isWellFormedPinBlock, PIN_BLOCK_LENGTH } from '../security/pinSpec.js';

export function verify(cmd: CommandApdu, ctx: CommandContext): Buffer {
  const { app, pin } = referencedPin(cmd, ctx);
  if (app.isDead()) throw new CardError(SW.AUTH_METHOD_BLOCKED, 'application blocked for good');
  if (cmd.le !== undefined) throw new CardError(SW.WRONG_LENGTH);
  if (cmd.data.length !== 0 && cmd.data.length !== PIN_BLOCK_LENGTH) throw new CardError(SW.WRONG_LENGTH);
  if (!pin.isSet()) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'reference data not personalized');
  const tries = pin.triesLeft();
  if (cmd.data.length === 0) {
    if (ctx.session.isVerified(pin.ref)) return status(SW.OK);
    return status(tries === 0 ? SW.AUTH_METHOD_BLOCKED : swWrongPin(tries));
  }
  if (tries === 0) throw new CardError(SW.AUTH_METHOD_BLOCKED);
  if (!isWellFormedPinBlock(cmd.data, pin.spec)) throw new CardError(SW.INCORRECT_DATA);
  const tx = new StoreTransaction(ctx.store);
  if (!attempt(pin, cmd.data, tries, tx, ctx)) return status(swWrongPin(tries - 1));
  pin.stageTries(tx, pin.spec.maxTries);
  tx.commit();
  ctx.session.setVerified(pin.ref, true);
  return status(SW.OK);
}

export function changeReferenceData(cmd: CommandApdu, ctx: CommandContext): Buffer {
  const { app, pin } = referencedPin(cmd, ctx);
  if (app.isDead()) throw new CardError(SW.AUTH_METHOD_BLOCKED, 'application blocked for good');
  checkTwoBlocks(cmd);
  if (!pin.isSet()) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'reference data not personalized');
  const tries = pin.triesLeft();
  if (tries === 0) throw new CardError(SW.AUTH_METHOD_BLOCKED);
  const oldBlock = cmd.data.subarray(0, PIN_BLOCK_LENGTH);
  const newBlock = cmd.data.subarray(PIN_BLOCK_LENGTH);
  const wellFormed = isWellFormedPinBlock(oldBlock, pin.spec) && isWellFormedPinBlock(newBlock, pin.spec);
  if (!wellFormed) throw new CardError(SW.INCORRECT_DATA);
  const tx = new StoreTransaction(ctx.store);
  if (!attempt(pin, oldBlock, tries, tx, ctx)) return status(swWrongPin(tries - 1));
  pin.stageValue(tx, newBlock);
  tx.commit();
  ctx.session.setVerified(pin.ref, true);
  return status(SW.OK);
}

export function resetRetryCounter(cmd: CommandApdu, ctx: CommandContext): Buffer {
  const { app, pin } = referencedPin(cmd, ctx);
  const puk = app.unblockerOf(pin.ref);
  if (puk === undefined) throw new CardError(SW_REFERENCE_NOT_FOUND, `no reference unblocks ${pin.spec.label}`);
  if (app.isDead()) throw new CardError(SW.AUTH_METHOD_BLOCKED, 'application blocked for good');
  checkTwoBlocks(cmd);
  if (!puk.isSet() || !pin.isSet()) throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'reference data not personalized');
  const tries = puk.triesLeft();
  if (tries === 0) throw new CardError(SW.AUTH_METHOD_BLOCKED);
  const pukBlock = cmd.data.subarray(0, PIN_BLOCK_LENGTH);
  const newBlock = cmd.data.subarray(PIN_BLOCK_LENGTH);
  const wellFormed = isWellFormedPinBlock(pukBlock, puk.spec) && isWellFormedPinBlock(newBlock, pin.spec);
  if (!wellFormed) throw new CardError(SW.INCORRECT_DATA);
  const tx = new StoreTransaction(ctx.store);
  if (!attempt(puk, pukBlock, tries, tx, ctx)) return status(swWrongPin(tries - 1));
  puk.stageTries(tx, puk.spec.maxTries);
  pin.stageValue(tx, newBlock);
  tx.commit();
  ctx.session.setVerified(pin.ref, false);
  return status(SW.OK);
}

/**
 * Commit one used try, then compare. True on a match (the caller stages the counter's restore
 * into `tx` and commits); false on a mismatch (committed, the verification status is cleared).
 */
function attempt(pin: PinObject, block: Uint8Array, tries: number, tx: StoreTransaction, ctx: CommandContext): boolean {
  pin.stageTries(tx, tries - 1);
  tx.commit();
  if (pin.matches(block)) return true;
  ctx.session.setVerified(pin.ref, false);
  return false;
}

function referencedPin(cmd: CommandApdu, ctx: CommandContext): { app: InstalledApplication; pin: PinObject } {
  if (cmd.p1 !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
  const app = ctx.session.app;
  const pin = app?.pins.get(cmd.p2);
  if (app === undefined || pin === undefined) throw new CardError(SW_REFERENCE_NOT_FOUND, 'no such reference');
  return { app, pin };
}

function checkTwoBlocks(cmd: CommandApdu): void {
  if (cmd.le !== undefined || cmd.data.length !== 2 * PIN_BLOCK_LENGTH) throw new CardError(SW.WRONG_LENGTH);
}
