/** Clearing (§4.1): purchase TAC verification, one at a time or in batches. */
import { equalBytes, purchaseTac, tacKey } from '@citycard/protocols';
import type { PurchaseTacCheck } from '../custodian.js';
import { MTK } from '../keystore/keyLabels.js';
import { CARD_KEY_LENGTH, diversifyKeys } from './batchDiversify.js';
import { type CommandContext } from './context.js';

function tacMatches(dtk: Buffer, check: PurchaseTacCheck): boolean {
  const key = tacKey(dtk);
  try {
    const expected = purchaseTac(key, {
      amount: check.amount,
      terminal: check.terminal,
      ttsn: check.ttsn,
      date: check.date,
      time: check.time,
      ...(check.type === undefined ? {} : { type: check.type }),
    });
    return equalBytes(expected, check.tac);
  } finally {
    key.fill(0);
  }
}

/** Whether one purchase TAC is the card's. Throws KEY_NOT_FOUND / KEY_USAGE, `RangeError`. */
export function verifyPurchaseTac(ctx: CommandContext, check: PurchaseTacCheck): boolean {
  return verifyPurchaseTacs(ctx, [check])[0]!;
}

/**
 * One verdict per check, in order. Per key version in the batch, MTK is unsealed once and every
 * DTK derived in one cipher call. A check with out-of-range fields throws `RangeError` for the
 * whole batch (nothing partial is returned); a missing key version throws KEY_NOT_FOUND.
 */
export function verifyPurchaseTacs(ctx: CommandContext, checks: readonly PurchaseTacCheck[]): boolean[] {
  const byVersion = new Map<number, number[]>();
  checks.forEach((check, i) => {
    const group = byVersion.get(check.keyVersion);
    if (group === undefined) byVersion.set(check.keyVersion, [i]);
    else group.push(i);
  });
  const verdicts: boolean[] = new Array<boolean>(checks.length).fill(false);
  for (const [version, indexes] of byVersion) {
    const { value: master } = ctx.keys.reveal(MTK, version, 'purse-master');
    let dtks: Buffer;
    try {
      dtks = diversifyKeys(master, indexes.map((i) => checks[i]!.cardNumber));
    } finally {
      master.fill(0);
    }
    try {
      indexes.forEach((i, n) => {
        verdicts[i] = tacMatches(dtks.subarray(n * CARD_KEY_LENGTH, (n + 1) * CARD_KEY_LENGTH), checks[i]!);
      });
    } finally {
      dtks.fill(0);
    }
  }
  return verdicts;
}
