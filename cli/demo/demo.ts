/**
 * The end-to-end demo, on the embedded defaults:
 *
 * 1. the local stack (pcscd with vpcd, the quickack route, Redis);
 * 2. the HSM as its own process, with a personalization station, a load server and clearing as
 *    clients of their own roles;
 * 3. a blank citizen card (vpcd slot 0) and a blank PSAM (slot 1), each its own process,
 *    personalized by the station through pcscd: keys wrapped by the HSM, the card's key pair made
 *    on the card, its certificate signed by the city CA inside the HSM;
 * 4. an identity session through pcscd: SELECT, card info, certificate chain, card
 *    authentication, PIN, cardholder data and cardholder authentication;
 * 5. an online load and offline purchases through pcscd, each record printed, and the HSM's
 *    verdict on every TAC (and on a forged one).
 *
 * Each run starts from fresh cards; it stops only what it started.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { HsmClient } from '@citycard/hsm-sim';
import { CARD_TYPE, formatDateTime, swMessage, toHex } from '@citycard/protocols';
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
import { stackDown, stackUp } from '../stack/index.js';
import { VPCD_PORT_CARD, VPCD_PORT_PSAM, VPCD_READER_NAMES } from '../stack/constants.js';
import { resolveStateDir } from '../stack/paths.js';
import { startCardProcess, type CardProcess } from './cardProcess.js';
import { startHsmProcess, type HsmProcess } from './hsmProcess.js';

const CARD_NUMBER = '1000000000000001';
const TERMINAL_NUMBER = '000000000001';
const LOAD_TERMINAL = '000000000100';
const TEST_PIN = '123456';
const PURCHASES: ReadonlyArray<readonly [string, number]> = [
  ['bus fare', 200],
  ['metro gate', 350],
  ['corner shop', 1280],
];

export async function runDemo(): Promise<void> {
  step('Local stack: pcscd with vpcd, the quickack latency route, Redis');
  const stack = await stackUp();
  for (const w of stack.warnings) note(`warning: ${w}`);
  note(stack.started.length > 0 ? `started: ${stack.started.join(', ')}` : 'already running');

  const demoDir = path.join(resolveStateDir(), 'demo');
  rmSync(demoDir, { recursive: true, force: true });
  const processes: Array<CardProcess | HsmProcess> = [];
  const clients: HsmClient[] = [];
  const adapters: PcscAdapter[] = [];
  try {
    step('HSM: its own process on a unix socket (test profile LMK components and keys)');
    const hsm = await startHsmProcess(path.join(demoDir, 'hsm'), [
      { name: 'station', role: 'bureau' },
      { name: 'load-server', role: 'load' },
      { name: 'clearing', role: 'clearing' },
    ]);
    processes.push(hsm);
    const address = { path: hsm.socketPath };
    const [stationToken, loadToken, clearingToken] = hsm.tokens;
    const bureau = await HsmClient.connect({ address, token: stationToken! });
    const loader = await HsmClient.connect({ address, token: loadToken! });
    const clearing = await HsmClient.connect({ address, token: clearingToken! });
    clients.push(bureau, loader, clearing);
    note(`listening on ${path.relative(process.cwd(), hsm.socketPath)}; clients: station (bureau), load-server (load), clearing (clearing)`);

    step('Blank citizen card in vpcd slot 0 and blank PSAM in slot 1 (transport keys only)');
    const card = await startCardProcess({ kind: 'card', blank: true, stateDir: path.join(demoDir, 'card'), port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER });
    processes.push(card);
    const psam = await startCardProcess({ kind: 'psam', blank: true, stateDir: path.join(demoDir, 'psam'), port: VPCD_PORT_PSAM, cardNumber: TERMINAL_NUMBER });
    processes.push(psam);
    const cardSlot = await PcscAdapter.open(VPCD_READER_NAMES[0]!);
    adapters.push(cardSlot);
    const psamSlot = await PcscAdapter.open(VPCD_READER_NAMES[1]!);
    adapters.push(psamSlot);
    await Promise.all([cardSlot.waitForCard(5000), psamSlot.waitForCard(5000)]);
    note(`card ATR ${toHex(await cardSlot.powerOn())}; PSAM ATR ${toHex(await psamSlot.powerOn())}`);

    step('Station: personalize the card and the PSAM through pcscd (the station never sees a clear key)');
    const today = formatDateTime(new Date()).date;
    const issued = await personalizeCard(cardSlot, bureau, {
      cardInfo: { cardNumber: CARD_NUMBER, effectiveDate: today, expiryDate: addYears(today, 10), cardType: CARD_TYPE.adult, issuerId: '0000000000000001' },
      cardholder: { name: 'Test Citizen', citizenId: '110101199001011237', dateOfBirth: '19900101', residency: 'permanent' },
      purse: { maxBalance: 100_000, maxSinglePurchase: 50_000 },
    });
    note(`card CSN ${toHex(issued.csn)} is now card ${issued.cardNumber}: ${issued.trail.length} APDUs, keys and PIN sent encrypted and MACed`);
    const terminal = await personalizePsam(psamSlot, bureau, { terminalNumber: TERMINAL_NUMBER });
    note(`PSAM CSN ${toHex(terminal.csn)} is now terminal ${toHex(terminal.terminalNumber)}`);

    await cardSlot.powerOn();
    const cardChannel = new ApduChannel(cardSlot);
    const session = new IdentitySession(cardChannel, { caCertificate: await bureau.caCertificate() });

    step('Identity: SELECT ID, card info, certificate chain to the city CA, card authentication');
    const authenticated = await session.authenticate();
    const info = authenticated.cardInfo;
    note(`card ${info.cardNumber}, ${cardTypeName(info.cardType)}, valid ${info.effectiveDate}..${info.expiryDate}`);
    note(`certificate: ${authenticated.certificate.subject.replace(/\n/g, ', ')}; issued by ${authenticated.certificate.issuer.replace(/\n/g, ', ')}: verified`);
    note('INTERNAL AUTHENTICATE P2 01 over a fresh challenge: signature valid (a genuine card)');

    step('Identity: PIN, cardholder data, cardholder authentication');
    const pin = await session.pinStatus();
    note(pin.verified ? 'PIN already verified' : `${pin.triesLeft} PIN tries left`);
    await session.verifyPin(TEST_PIN);
    note('VERIFY: PIN accepted');
    const holder = await session.readCardholder();
    note(`${holder.name}, citizen ID ${holder.citizenId}, born ${holder.dateOfBirth}, ${holder.residency} resident`);
    await session.authenticateCardholder(Buffer.from('service-point-nonce-0001', 'ascii'));
    note('INTERNAL AUTHENTICATE P2 02 over a service nonce: signature valid (the cardholder is present)');

    step(`Online load of ${money(5000)} at load terminal ${LOAD_TERMINAL} (HSM checks MAC1, issues MAC2, checks the TAC)`);
    const load = await loadOnline({ card: cardChannel, custodian: loader, terminal: LOAD_TERMINAL }, { amount: 5000 });
    if (load.kind !== 'approved') throw new Error(`load not approved: ${JSON.stringify(load.kind)}`);
    note(`balance ${money(load.record.balanceBefore)} -> ${money(load.newBalance)}; online counter ${load.record.onlineCounter}; TAC ${load.record.tac} ${load.record.tacVerified ? 'verified by the HSM' : 'NOT verified'}`);

    step('Offline purchases with the PSAM in slot 1');
    const psamChannel = new ApduChannel(psamSlot);
    const records: PurchaseRecord[] = [];
    for (const [what, amount] of PURCHASES) {
      const outcome = await purchaseOffline({ card: cardChannel, psam: psamChannel }, { amount });
      if (outcome.kind !== 'approved') throw new Error(`${what}: ${outcome.kind}`);
      const r = outcome.record;
      records.push(r);
      note(`${what.padEnd(12)} ${money(amount).padStart(7)}  card ${r.cardNumber} counter ${r.offlineCounter}  terminal ${r.terminal} TTSN ${r.ttsn}  ${r.date} ${r.time}  TAC ${r.tac}  MAC2 ${r.mac2Verified ? 'ok' : 'BAD'}  balance ${money(outcome.newBalance)}`);
    }
    const tooMuch = await purchaseOffline({ card: cardChannel, psam: psamChannel }, { amount: 10_000 });
    note(`a ${money(10_000)} purchase: ${tooMuch.kind}${tooMuch.kind === 'declined' ? ` (${tooMuch.reason})` : ''}`);

    step('Clearing: the HSM verifies each TAC (purchase TACs can be forged by nobody but the card)');
    const verdicts = await clearing.verifyPurchaseTacs(records.map(purchaseTacRequestOf));
    records.forEach((r, i) => note(`record card ${r.cardNumber} counter ${r.offlineCounter} TTSN ${r.ttsn}: TAC ${verdicts[i] ? 'valid' : 'INVALID'}`));
    const forged = { ...records[2]!, amount: records[2]!.amount * 10 };
    const [forgedVerdict] = await clearing.verifyPurchaseTacs([purchaseTacRequestOf(forged)]);
    note(`the same record with its amount raised to ${money(forged.amount)}: TAC ${forgedVerdict ? 'valid (!)' : 'INVALID: refused'}`);

    step('APDU trail of the last purchase (kept with the record)');
    for (const e of records[2]!.trail) {
      note(`${e.slot.padEnd(4)} > ${shorten(e.command)}  < ${e.response === null ? '(no answer)' : swMessage(parseInt(e.response.slice(-4), 16))}`);
    }
    console.log('\nDemo complete.');
  } finally {
    await Promise.allSettled(adapters.map((a) => a.close()));
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(processes.map((p) => p.stop()));
    if (stack.started.length > 0) await stackDown({ only: stack.started });
  }
}

function step(text: string): void {
  console.log(`\n== ${text}`);
}

function note(text: string): void {
  console.log(`   ${text}`);
}

function money(fen: number): string {
  return `¥${(fen / 100).toFixed(2)}`;
}

function shorten(hex: string): string {
  return hex.length > 40 ? `${hex.slice(0, 40)}…` : hex;
}

function addYears(yyyymmdd: string, years: number): string {
  const monthDay = yyyymmdd.slice(4) === '0229' ? '0228' : yyyymmdd.slice(4);
  return `${Number(yyyymmdd.slice(0, 4)) + years}${monthDay}`;
}

function cardTypeName(type: number): string {
  return Object.entries(CARD_TYPE).find(([, v]) => v === type)?.[0] ?? `type ${type}`;
}
