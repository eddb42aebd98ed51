/**
 * Which EF a READ/UPDATE BINARY or READ/UPDATE RECORD addresses: by SFI in the current DF, or the
 * current EF. Shared by the binary and record command families.
 */
import { SW } from '@citycard/protocols';
import type { Ef } from '../fs/ef.js';
import { CardError } from '../runtime/cardError.js';
import { SW_NO_CURRENT_EF } from './isoStatus.js';
import type { CommandContext } from '../runtime/context.js';

/**
 * The EF with short identifier `sfi` (1 to 30) in the current DF, which becomes the current EF;
 * or, for `sfi` 0, the current EF. Throws `CardError` `6A86` for SFI 31 (reserved), `6A82` when
 * no such EF exists, `6986` when there is no current EF.
 */
export function addressedEf(sfi: number, ctx: CommandContext): Ef {
  const session = ctx.session;
  if (sfi === 0) {
    const current = session.currentEf;
    if (current === undefined) throw new CardError(SW_NO_CURRENT_EF, 'no current EF');
    return current;
  }
  if (sfi > 30) throw new CardError(SW.INCORRECT_P1P2);
  const ef = session.currentDf.efBySfi(sfi);
  if (ef === undefined) throw new CardError(SW.NOT_FOUND);
  session.currentEf = ef;
  return ef;
}
