/**
 * SELECT (ISO 7816-4 §7.1.1), CLA 00 INS A4:
 *
 * ```
 * 00 A4 04 P2 Lc AID [Le]     by DF name (AID, 1 to 16 bytes, exact match)
 * 00 A4 00 P2 [02 FID] [Le]   by FID: 3F00 = MF; else a child of the current DF, the parent DF,
 *                             or a child of the parent (ISO 7816-4 search order); no data = MF
 * P2 = 00  return the FCI (DF: 6F with 84 AID and A5; EF: FCP 62)
 * P2 = 0C  no response data
 * ```
 * Answers: `9000` (or the application's select status) with the FCI; `6A82` not found (the
 * selection is then unchanged); `6A86` other P1/P2; `6700` a data length that does not fit P1.
 * Selecting an application DF (by AID or FID, even the one already selected) or the MF starts a
 * fresh security state; selecting an EF keeps it.
 */
import { SW, type CommandApdu } from '@citycard/protocols';
import { dfFci, efFcp } from '../fs/fci.js';
import { MF_FID, type Df } from '../fs/df.js';
import type { Ef } from '../fs/ef.js';
import { CardError } from '../runtime/cardError.js';
import type { CommandContext } from '../runtime/context.js';
import { respond } from '../runtime/response.js';

const BY_FID = 0x00;
const BY_NAME = 0x04;
const P2_FCI = 0x00;
const P2_NO_DATA = 0x0c;
const MAX_AID = 16;
const EMPTY = Buffer.alloc(0);

export function select(cmd: CommandApdu, ctx: CommandContext): Buffer {
  if (cmd.p2 !== P2_FCI && cmd.p2 !== P2_NO_DATA) throw new CardError(SW.INCORRECT_P1P2);
  let target: Df | Ef | undefined;
  if (cmd.p1 === BY_NAME) {
    if (cmd.data.length === 0 || cmd.data.length > MAX_AID) throw new CardError(SW.WRONG_LENGTH);
    target = ctx.fs.applicationByAid(cmd.data)?.df;
  } else if (cmd.p1 === BY_FID) {
    if (cmd.data.length === 0) target = ctx.fs.mf;
    else if (cmd.data.length !== 2) throw new CardError(SW.WRONG_LENGTH);
    else target = findByFid(ctx.session.currentDf, (cmd.data[0]! << 8) | cmd.data[1]!);
  } else {
    throw new CardError(SW.INCORRECT_P1P2);
  }
  if (target === undefined) throw new CardError(SW.NOT_FOUND);
  return target.type === 'df' ? selectDf(target, cmd, ctx) : selectEf(target, cmd, ctx);
}

function selectDf(df: Df, cmd: CommandApdu, ctx: CommandContext): Buffer {
  const app = df.app;
  if (app === undefined) ctx.session.enterMf();
  else ctx.session.enterApplication(app);
  const sw = app?.definition.selectStatus?.(ctx, app) ?? SW.OK;
  if (cmd.p2 === P2_NO_DATA) return respond(EMPTY, sw);
  const withFid = cmd.p1 === BY_FID;
  if (app === undefined) return respond(dfFci(df, undefined, withFid), sw);
  // By AID the FCI is exactly 84 ‖ A5 (spec §2); by FID it names the FID as well.
  const fixed = app.fixedFci(withFid);
  if (fixed !== undefined) return respond(fixed, sw);
  const compute = app.definition.fciProprietary;
  return respond(dfFci(df, typeof compute === 'function' ? compute(ctx, app) : undefined, withFid), sw);
}

function selectEf(ef: Ef, cmd: CommandApdu, ctx: CommandContext): Buffer {
  ctx.session.currentEf = ef;
  return respond(cmd.p2 === P2_NO_DATA ? EMPTY : efFcp(ef), SW.OK);
}

function findByFid(current: Df, fid: number): Df | Ef | undefined {
  if (fid === MF_FID) {
    let mf = current;
    while (mf.parent !== undefined) mf = mf.parent;
    return mf;
  }
  if (current.fid === fid) return current;
  const child = current.childByFid(fid);
  if (child !== undefined) return child;
  const parent = current.parent;
  if (parent === undefined) return undefined;
  return parent.fid === fid ? parent : parent.childByFid(fid);
}
