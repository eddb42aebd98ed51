import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diversifyKey, fromHex, keyCheckValue, toHex } from '@citycard/protocols';
import { testProfileTacChecks } from '../../hsm-sim/src/bench/measureHsm.js';
import { diversifyKeys } from '../../hsm-sim/src/commands/batchDiversify.js';
import { HsmKeyError } from '../../hsm-sim/src/errors.js';
import {
  CARD_NUMBER,
  DATE,
  DLK,
  DPK,
  DTK,
  LOAD_CHECK,
  LOAD_MAC2,
  LOAD_TAC,
  PURCHASE_CHECK,
  TERMINAL,
  TIME,
  type TestHsm,
  makeTestHsm,
} from './fixtures.js';

const FORGED_TAC = fromHex('A0F363C8');
const FORGED_MAC1 = fromHex('1395117F');
const OTHER_CARD = fromHex('1000000000000002');

describe('purse cryptograms through HSM commands (spec §8.2)', () => {
  let hsm: TestHsm;
  beforeAll(() => {
    hsm = makeTestHsm();
  });
  afterAll(() => hsm.dispose());

  it('verifies the load MAC1 and issues MAC2 DCBB1D14', async () => {
    const answer = await hsm.as('load').verifyLoadMac1AndIssueMac2(LOAD_CHECK);
    expect(answer.ok).toBe(true);
    expect(answer.ok && toHex(answer.mac2)).toBe(toHex(LOAD_MAC2));
  });

  it('refuses MAC2 for a wrong MAC1 and audits a mismatch', async () => {
    const answer = await hsm.as('load').verifyLoadMac1AndIssueMac2({ ...LOAD_CHECK, mac1: FORGED_MAC1 });
    expect(answer).toEqual({ ok: false });
    const last = hsm.core.audit.entries().at(-1)!;
    expect(last).toMatchObject({ command: 'verifyLoadMac1AndIssueMac2', outcome: 'mismatch', subject: '1000000000000001', keys: ['MLK:01'] });
  });

  it('refuses MAC2 when MAC1 is bound to another balance', async () => {
    expect(await hsm.as('load').verifyLoadMac1AndIssueMac2({ ...LOAD_CHECK, balance: 10001 })).toEqual({ ok: false });
  });

  it('verifies the load TAC CC3A082D', async () => {
    const check = { cardNumber: CARD_NUMBER, keyVersion: 1, newBalance: 15000, onlineCounter: 2, amount: 5000, terminal: TERMINAL, date: DATE, time: TIME, tac: LOAD_TAC };
    expect(await hsm.as('clearing').verifyLoadTac(check)).toBe(true);
    expect(await hsm.as('clearing').verifyLoadTac({ ...check, newBalance: 15001 })).toBe(false);
  });

  it('verifies the purchase TAC A0F363C7 and rejects a forged one', async () => {
    const clearing = hsm.as('clearing');
    expect(await clearing.verifyPurchaseTac(PURCHASE_CHECK)).toBe(true);
    expect(await clearing.verifyPurchaseTac({ ...PURCHASE_CHECK, tac: FORGED_TAC })).toBe(false);
    expect(await clearing.verifyPurchaseTac({ ...PURCHASE_CHECK, cardNumber: OTHER_CARD })).toBe(false);
    expect(await clearing.verifyPurchaseTac({ ...PURCHASE_CHECK, amount: 251 })).toBe(false);
  });

  it('verifies a batch of mixed good and bad TACs, verdict by verdict', async () => {
    const generated = testProfileTacChecks(9, 3);
    const batch = [PURCHASE_CHECK, { ...PURCHASE_CHECK, tac: FORGED_TAC }, ...generated];
    const verdicts = await hsm.as('clearing').verifyPurchaseTacs(batch);
    expect(verdicts).toEqual([true, false, true, true, false, true, true, false, true, true, false]);
    const last = hsm.core.audit.entries().at(-1)!;
    expect(last).toMatchObject({ command: 'verifyPurchaseTacs', outcome: 'mismatch', subject: 'batch of 11', detail: '7 verified, 4 rejected', keys: ['MTK:01'] });
  });

  it('answers an empty batch with no verdicts', async () => {
    expect(await hsm.as('clearing').verifyPurchaseTacs([])).toEqual([]);
  });

  it('refuses a batch naming a key version the HSM does not hold', async () => {
    await expect(hsm.as('clearing').verifyPurchaseTacs([PURCHASE_CHECK, { ...PURCHASE_CHECK, keyVersion: 2 }])).rejects.toMatchObject({
      name: 'HsmKeyError',
      code: 'KEY_NOT_FOUND',
    });
    await expect(hsm.as('clearing').verifyPurchaseTac({ ...PURCHASE_CHECK, keyVersion: 2 })).rejects.toBeInstanceOf(HsmKeyError);
  });

  it('gives the spec DPK, DLK and DTK check values from diversifyCardKeys', async () => {
    const keys = await hsm.as('bureau').diversifyCardKeys({ cardNumber: CARD_NUMBER, keyVersion: 1 });
    expect(keys.DPK.kcv).toBe(toHex(keyCheckValue(DPK)));
    expect(keys.DLK.kcv).toBe(toHex(keyCheckValue(DLK)));
    expect(keys.DTK.kcv).toBe(toHex(keyCheckValue(DTK)));
    expect(keys.DPK.wrapped).toBeUndefined();
  });
});

describe('batch diversification', () => {
  it('equals diversifyKey card by card', () => {
    const master = fromHex('33445566778899AABBCCDDEEFF001122');
    const cards = [CARD_NUMBER, OTHER_CARD, fromHex('9999999999999999'), fromHex('0000000000000000')];
    const all = diversifyKeys(master, cards);
    expect(all.length).toBe(64);
    cards.forEach((card, i) => expect(toHex(all.subarray(i * 16, i * 16 + 16))).toBe(toHex(diversifyKey(master, card))));
    expect(toHex(all.subarray(0, 16))).toBe(toHex(DTK));
  });

  it('throws RangeError on a card number of the wrong length', () => {
    expect(() => diversifyKeys(fromHex('33445566778899AABBCCDDEEFF001122'), [fromHex('10')])).toThrow(RangeError);
  });
});
