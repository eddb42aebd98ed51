/** Online load (§4, §4.1): check the card's MAC1, issue MAC2; check the card's load TAC. */
import { equalBytes, loadMac1, loadMac2, loadSessionKey, loadTac, tacKey } from '@citycard/protocols';
import type { LoadAuthorization, LoadMac1Check, LoadTacCheck } from '../custodian.js';
import { withCardKey } from './cardKeys.js';
import { type CommandContext } from './context.js';

/**
 * Derives SESLK from DLK (MLK version `keyVersion`, diversified by card number), checks MAC1 and,
 * only if it verifies, returns MAC2 over amount, type, terminal, host date and time.
 * Throws KEY_NOT_FOUND / KEY_USAGE, or `RangeError` on out-of-range fields.
 */
export function verifyLoadMac1AndIssueMac2(ctx: CommandContext, check: LoadMac1Check): LoadAuthorization {
  return withCardKey(ctx, 'DLK', check.keyVersion, check.cardNumber, (dlk) => {
    const seslk = loadSessionKey(dlk, check.random, check.onlineCounter);
    try {
      const fields = { amount: check.amount, terminal: check.terminal, ...(check.type === undefined ? {} : { type: check.type }) };
      const expected = loadMac1(seslk, { ...fields, balance: check.balance });
      if (!equalBytes(expected, check.mac1)) return { ok: false };
      return { ok: true, mac2: loadMac2(seslk, { ...fields, date: check.date, time: check.time }) };
    } finally {
      seslk.fill(0);
    }
  });
}

/** Whether the load TAC is the card's (TAC key from DTK, MTK version `keyVersion`). */
export function verifyLoadTac(ctx: CommandContext, check: LoadTacCheck): boolean {
  return withCardKey(ctx, 'DTK', check.keyVersion, check.cardNumber, (dtk) => {
    const key = tacKey(dtk);
    try {
      const expected = loadTac(key, {
        newBalance: check.newBalance,
        onlineCounter: check.onlineCounter,
        amount: check.amount,
        terminal: check.terminal,
        date: check.date,
        time: check.time,
        ...(check.type === undefined ? {} : { type: check.type }),
      });
      return equalBytes(expected, check.tac);
    } finally {
      key.fill(0);
    }
  });
}
