/**
 * Issue 3 over the real PC/SC stack: a blank citizen card (slot 0) and a blank PSAM (slot 1), each
 * its own `serve` process, personalized by the station through pcscd with the HSM as its own
 * process; then an online load and offline purchases through pcscd, every TAC checked by the HSM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARD_TYPE, formatDateTime, toHex } from '@citycard/protocols';
import { HsmClient } from '@citycard/hsm-sim';
import {
  ApduChannel,
  IdentitySession,
  PcscAdapter,
  loadOnline,
  personalizeCard,
  personalizePsam,
  purchaseOffline,
  purchaseTacRequestOf,
  type PurchaseRecord,
} from '@citycard/terminal-agent';
import { startCardProcess, type CardProcess } from '../../cli/demo/cardProcess.js';
import { startHsmProcess, type HsmProcess } from '../../cli/demo/hsmProcess.js';
import { VPCD_PORT_CARD, VPCD_PORT_PSAM, VPCD_READER_NAMES } from '../../cli/stack/constants.js';

const CARD_NUMBER = '1000000000000077';
const TERMINAL_NUMBER = '000000000042';
const LOAD_TERMINAL = '000000000099';
const today = formatDateTime(new Date()).date;

let dir: string;
let hsm: HsmProcess;
let card: CardProcess;
let psam: CardProcess;
let bureau: HsmClient;
let loader: HsmClient;
let clearing: HsmClient;
let cardSlot: PcscAdapter;
let psamSlot: PcscAdapter;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-purse-stack-'));
  hsm = await startHsmProcess(path.join(dir, 'hsm'), [
    { name: 'station', role: 'bureau' },
    { name: 'load-server', role: 'load' },
    { name: 'clearing', role: 'clearing' },
  ]);
  const address = { path: hsm.socketPath };
  const [station, load, clear] = hsm.tokens;
  bureau = await HsmClient.connect({ address, token: station! });
  loader = await HsmClient.connect({ address, token: load! });
  clearing = await HsmClient.connect({ address, token: clear! });
  card = await startCardProcess({ kind: 'card', blank: true, stateDir: path.join(dir, 'card'), port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER });
  psam = await startCardProcess({ kind: 'psam', blank: true, stateDir: path.join(dir, 'psam'), port: VPCD_PORT_PSAM, cardNumber: TERMINAL_NUMBER });
  cardSlot = await PcscAdapter.open(VPCD_READER_NAMES[0]!);
  psamSlot = await PcscAdapter.open(VPCD_READER_NAMES[1]!);
  await Promise.all([cardSlot.waitForCard(5000), psamSlot.waitForCard(5000)]);
  await Promise.all([cardSlot.powerOn(), psamSlot.powerOn()]);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([cardSlot?.close(), psamSlot?.close()]);
  await Promise.allSettled([bureau?.close(), loader?.close(), clearing?.close()]);
  await Promise.allSettled([card?.stop(), psam?.stop(), hsm?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('purse over pcscd with card and PSAM in two virtual readers', () => {
  it('personalizes the blank card and PSAM through the station, then the card authenticates', async () => {
    const issued = await personalizeCard(cardSlot, bureau, {
      cardInfo: { cardNumber: CARD_NUMBER, effectiveDate: today, expiryDate: '20361231', cardType: CARD_TYPE.adult, issuerId: '0000000000000001' },
      cardholder: { name: 'Li Wei', citizenId: '310101199001011234', dateOfBirth: '19900101', residency: 'permanent' },
      purse: { maxBalance: 100_000, maxSinglePurchase: 50_000 },
    });
    expect(issued.cardNumber).toBe(CARD_NUMBER);
    const terminal = await personalizePsam(psamSlot, bureau, { terminalNumber: TERMINAL_NUMBER });
    expect(toHex(terminal.terminalNumber)).toBe(TERMINAL_NUMBER);

    await cardSlot.powerOn();
    const session = new IdentitySession(new ApduChannel(cardSlot), { caCertificate: await bureau.caCertificate() });
    const authenticated = await session.authenticate();
    expect(authenticated.cardInfo.cardNumber).toBe(CARD_NUMBER);
  });

  it('loads online and buys offline; the HSM verifies every TAC and refuses a forged one', async () => {
    await Promise.all([cardSlot.powerOn(), psamSlot.powerOn()]);
    const cardChannel = new ApduChannel(cardSlot);
    const psamChannel = new ApduChannel(psamSlot);

    const load = await loadOnline({ card: cardChannel, custodian: loader, terminal: LOAD_TERMINAL }, { amount: 5000 });
    expect(load.kind).toBe('approved');
    if (load.kind !== 'approved') return;
    expect(load.record.tacVerified).toBe(true);
    expect(load.newBalance).toBe(5000);

    const records: PurchaseRecord[] = [];
    let balance = load.newBalance;
    for (const amount of [200, 350, 1280]) {
      const outcome = await purchaseOffline({ card: cardChannel, psam: psamChannel }, { amount });
      expect(outcome.kind).toBe('approved');
      if (outcome.kind !== 'approved') return;
      balance -= amount;
      expect(outcome.newBalance).toBe(balance);
      expect(outcome.record.mac2Verified).toBe(true);
      expect(outcome.record.terminal).toBe(TERMINAL_NUMBER);
      records.push(outcome.record);
    }
    expect(records.map((r) => r.ttsn)).toEqual([1, 2, 3]);

    const verdicts = await clearing.verifyPurchaseTacs(records.map(purchaseTacRequestOf));
    expect(verdicts).toEqual([true, true, true]);
    const forged = { ...records[0]!, amount: records[0]!.amount + 1 };
    expect(await clearing.verifyPurchaseTacs([purchaseTacRequestOf(forged)])).toEqual([false]);

    const declined = await purchaseOffline({ card: cardChannel, psam: psamChannel }, { amount: 10_000 });
    expect(declined.kind).toBe('declined');
  });
});
