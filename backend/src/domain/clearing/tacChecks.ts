/**
 * TAC checks of clearing records in the custodian's byte form (card interface §4.1; the same
 * mapping as terminal-agent's `purchaseTacRequestOf` / `loadTacRequestOf`, which the tests hold
 * this to), and their verification: purchases in one batch per key version, loads through the
 * HSM's load-TAC check when it offers one.
 */
import type { LoadTacCheck, PurchaseTacCheck } from '@citycard/hsm-sim';
import { encodeBcd, fromHex } from '@citycard/protocols';
import type { ClearingRecord } from './clearingRecord.js';
import { TacVerificationError } from './errors.js';
import type { TacVerifier } from './ports.js';

/** The purchase TAC check of a readable purchase record. */
export function purchaseTacCheckOf(r: ClearingRecord): PurchaseTacCheck {
  return {
    cardNumber: encodeBcd(r.row.cardNumber),
    keyVersion: r.keyVersion,
    amount: r.row.amount,
    terminal: fromHex(r.row.terminalNumber),
    ttsn: r.row.ttsn ?? 0,
    date: encodeBcd(r.date),
    time: encodeBcd(r.time),
    tac: fromHex(r.tac),
  };
}

/** The load TAC check of a readable load record (new balance = balance before + amount). */
export function loadTacCheckOf(r: ClearingRecord): LoadTacCheck {
  return {
    cardNumber: encodeBcd(r.row.cardNumber),
    keyVersion: r.keyVersion,
    newBalance: r.balanceBefore + r.row.amount,
    onlineCounter: r.row.counter,
    amount: r.row.amount,
    terminal: fromHex(r.row.terminalNumber),
    date: encodeBcd(r.date),
    time: encodeBcd(r.time),
    tac: fromHex(r.tac),
  };
}

/** A TAC verdict: valid, or why not. */
export type TacVerdict = { readonly valid: true } | { readonly valid: false; readonly reason: string };

const VALID: TacVerdict = { valid: true };
const MISMATCH: TacVerdict = { valid: false, reason: 'the TAC is not the card\'s' };

/** What the HSM answers for a key version it does not hold: those records cannot be genuine. */
const isUnknownKey = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'KEY_NOT_FOUND';

/**
 * Verdicts by inbox id. Purchases go in one batch per key version; a version the HSM does not
 * hold makes its records invalid. Loads: `verifyLoadTacs`, else `verifyLoadTac` per record, else
 * the record's own `tacVerified` (the HSM checked it online when the load was made).
 * @throws TacVerificationError (with the HSM's error as cause) when a check cannot be made.
 */
export async function verifyTacs(tacs: TacVerifier, records: readonly ClearingRecord[]): Promise<Map<number, TacVerdict>> {
  const verdicts = new Map<number, TacVerdict>();
  const purchasesByVersion = new Map<number, ClearingRecord[]>();
  const loads: ClearingRecord[] = [];
  for (const r of records) {
    if (r.row.kind === 'load') {
      loads.push(r);
      continue;
    }
    const group = purchasesByVersion.get(r.keyVersion);
    if (group === undefined) purchasesByVersion.set(r.keyVersion, [r]);
    else group.push(r);
  }
  for (const [version, group] of purchasesByVersion) {
    const answers = await ask(`${group.length} purchase TACs`, () => tacs.verifyPurchaseTacs(group.map(purchaseTacCheckOf)));
    group.forEach((r, i) => verdicts.set(r.row.id, answers === undefined ? unknownKey(version) : answers[i] === true ? VALID : MISMATCH));
  }
  if (loads.length > 0) {
    const answers = await verifyLoads(tacs, loads);
    loads.forEach((r, i) => verdicts.set(r.row.id, answers[i]!));
  }
  return verdicts;
}

async function verifyLoads(tacs: TacVerifier, loads: readonly ClearingRecord[]): Promise<TacVerdict[]> {
  const { verifyLoadTacs, verifyLoadTac } = tacs;
  if (verifyLoadTacs !== undefined) {
    const out: TacVerdict[] = [];
    const byVersion = new Map<number, number[]>();
    loads.forEach((r, i) => {
      const group = byVersion.get(r.keyVersion);
      if (group === undefined) byVersion.set(r.keyVersion, [i]);
      else group.push(i);
    });
    for (const [version, indexes] of byVersion) {
      const answers = await ask(`${indexes.length} load TACs`, () => verifyLoadTacs.call(tacs, indexes.map((i) => loadTacCheckOf(loads[i]!))));
      indexes.forEach((i, k) => (out[i] = answers === undefined ? unknownKey(version) : answers[k] === true ? VALID : MISMATCH));
    }
    return out;
  }
  if (verifyLoadTac !== undefined) {
    // Loads are few next to purchases; one call each, all in flight at once.
    return Promise.all(
      loads.map(async (r) => {
        const answer = await ask(`the load TAC of inbox row ${r.row.id}`, () => verifyLoadTac.call(tacs, loadTacCheckOf(r)));
        return answer === undefined ? unknownKey(r.keyVersion) : answer ? VALID : MISMATCH;
      }),
    );
  }
  return loads.map((r) => (r.tacVerifiedOnline ? VALID : { valid: false, reason: 'the HSM did not verify the TAC at load time' }));
}

const unknownKey = (version: number): TacVerdict => ({ valid: false, reason: `key version ${version} is not held by the HSM` });

/** The HSM's answer, undefined when it does not hold the key version. */
async function ask<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (isUnknownKey(err)) return undefined;
    throw new TacVerificationError(what, { cause: err });
  }
}
