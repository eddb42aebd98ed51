/**
 * Records to TAC checks in the custodian's byte form: how the load flow, recovery and clearing
 * ask the HSM whether a record's TAC is the card's.
 */
import { encodeBcd, fromHex } from '@citycard/protocols';
import type { LoadTacRequest, PurchaseTacRequest } from './custodianPorts.js';
import type { LoadRecord, PurchaseRecord } from './purseRecords.js';

/** The purchase TAC check of `record`. Throws `BcdError`/`TypeError` for a record with malformed fields. */
export function purchaseTacRequestOf(record: PurchaseRecord): PurchaseTacRequest {
  return {
    cardNumber: encodeBcd(record.cardNumber),
    keyVersion: record.keyVersion,
    amount: record.amount,
    terminal: fromHex(record.terminal),
    ttsn: record.ttsn,
    date: encodeBcd(record.date),
    time: encodeBcd(record.time),
    tac: fromHex(record.tac),
  };
}

/** The load TAC check of `record` (new balance = balance before + amount). Throws as {@link purchaseTacRequestOf}. */
export function loadTacRequestOf(record: Omit<LoadRecord, 'tacVerified'>): LoadTacRequest {
  return {
    cardNumber: encodeBcd(record.cardNumber),
    keyVersion: record.keyVersion,
    newBalance: record.balanceBefore + record.amount,
    onlineCounter: record.onlineCounter,
    amount: record.amount,
    terminal: fromHex(record.terminal),
    date: encodeBcd(record.date),
    time: encodeBcd(record.time),
    tac: fromHex(record.tac),
  };
}
