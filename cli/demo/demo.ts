/**
 * The end-to-end demo, on the embedded defaults:
 *
 * 1. the local stack (pcscd with vpcd, the quickack route, Redis);
 * 2. the HSM as its own process, with a personalization station, a load server and clearing as
 *    clients of their own roles;
 * 3. the card bureau backend as its own process: a clerk enrolls a resident and applies for a
 *    card, a supervisor approves it, an issuance job goes to the personalization station, which
 *    personalizes a blank citizen card (vpcd slot 0) through pcscd with keys wrapped by the HSM
 *    (the card's key pair made on the card, its certificate signed by the city CA inside the HSM);
 *    the clerk issues and activates the card; a blank PSAM (slot 1) is personalized too;
 * 4. an identity session through pcscd: SELECT, card info, certificate chain, card
 *    authentication, PIN, cardholder data and cardholder authentication;
 * 5. an online load and offline purchases through pcscd, each record printed, and the HSM's
 *    verdict on every TAC (and on a forged one);
 * 6. a metro gate assembled from the terminal agent's parts (its configuration file, record
 *    store, hotlist sync with the pinned key, offline risk policy, the tap flow under a flat
 *    fare): taps print what the gate's screen prints; the clerk reports the card lost, the gate
 *    has it within milliseconds, refuses it and blocks its purse;
 * 7. the gate registers its upload key and uploads its records in signed batches to the
 *    backend's inbox: the acknowledgement's counts, then a second drain that sends nothing.
 *
 * Each run starts from fresh cards; it stops only what it started.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { HsmClient } from '@citycard/hsm-sim';
import { CARD_TYPE, swMessage, toHex } from '@citycard/protocols';
import {
  ApduChannel,
  HOTLIST_FILE,
  HttpIssuanceQueue,
  IdentitySession,
  PcscAdapter,
  RECORDS_FILE,
  TERMINAL_TOKEN_ENV,
  UPLOAD_KEY_FILE,
  issueCard,
  loadOnline,
  personalizePsam,
  purchaseOffline,
  purchaseTacRequestOf,
  type PurchaseRecord,
  type TapOutcome,
} from '@citycard/terminal-agent';
import { stackDown, stackUp } from '../stack/index.js';
import { VPCD_PORT_CARD, VPCD_PORT_PSAM, VPCD_READER_NAMES } from '../stack/constants.js';
import { resolveStateDir } from '../stack/paths.js';
import { startCardProcess, type CardProcess } from './cardProcess.js';
import { startHsmProcess, type HsmProcess } from './hsmProcess.js';
import { startBackendProcess, type BackendProcess } from './backendProcess.js';
import { openBureau, registerGate, type Card } from './bureau.js';
import { DemoGate, GATE_CONFIG_FILE, gateLine } from './gate.js';

const CARD_NUMBER = '1000000000000001'; // placeholder for the blank card's state directory: the backend assigns the number
const TERMINAL_NUMBER = '000000000001';
const LOAD_TERMINAL = '000000000100';
const TEST_PIN = '123456';
const PURCHASES: ReadonlyArray<readonly [string, number]> = [
  ['bus fare', 200],
  ['ferry', 350],
  ['corner shop', 1280],
];
const GATE_FARE = 200;
const GATE_TAPS = 2;

export async function runDemo(): Promise<void> {
  step('Local stack: pcscd with vpcd, the quickack latency route, Redis');
  const stack = await stackUp();
  for (const w of stack.warnings) note(`warning: ${w}`);
  note(stack.started.length > 0 ? `started: ${stack.started.join(', ')}` : 'already running');

  const demoDir = path.join(resolveStateDir(), 'demo');
  rmSync(demoDir, { recursive: true, force: true });
  const processes: Array<CardProcess | HsmProcess | BackendProcess> = [];
  let gate: DemoGate | undefined;
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

    step('Card bureau backend: its own process; staff sign in (first login changes the one-time password)');
    const backend = await startBackendProcess(path.join(demoDir, 'backend'));
    processes.push(backend);
    const staff = await openBureau(backend);
    note(`listening on ${backend.url}; staff: admin, clerk.wang (clerk), sup.zhao (supervisor)`);

    step('Clerk enrolls a resident and applies for a card; the supervisor approves; an issuance job is queued');
    const resident = await staff.clerk.request<{ id: string; fullName: string }>('POST', '/api/v1/cardholders', {
      kind: 'resident',
      citizenId: '310101198805120028',
      fullName: 'Chen Xiaoming',
      birthDate: '1988-05-12',
      phone: '+86 21 5555 0101',
      address: '88 Huaihai Road, Huangpu District',
    });
    const applied = await staff.clerk.request<Card>('POST', `/api/v1/cardholders/${resident.id}/cards`, {});
    await staff.supervisor.request<Card>('POST', `/api/v1/cards/${applied.id}/approve`, {});
    const job = await staff.clerk.request<{ id: string; cardNumber: string }>('POST', '/api/v1/issuance/jobs', { cardId: applied.id });
    note(`cardholder ${resident.fullName} (${resident.id.slice(0, 8)}…), card ${applied.id.slice(0, 8)}… approved, job ${job.id.slice(0, 8)}… for card number ${job.cardNumber}`);

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

    step('Station: claim the job and personalize the card through pcscd (the station never sees a clear key)');
    const queue = new HttpIssuanceQueue({ baseUrl: backend.url, token: staff.clerk.token!, station: 'bureau-desk-1' });
    const claimed = await queue.claim();
    if (claimed === undefined) throw new Error('no issuance job to claim');
    const issued = await issueCard(queue, claimed, cardSlot, bureau);
    if (issued.kind !== 'done') throw new Error(`issuance ${issued.kind}`);
    const cardNumber = issued.cardNumber;
    note(`card CSN ${toHex(issued.csn)} is now card ${cardNumber}; the backend recorded its certificate and marked it personalized`);
    await staff.clerk.request<Card>('POST', `/api/v1/cards/${applied.id}/issue`, {});
    const active = await staff.clerk.request<Card>('POST', `/api/v1/cards/${applied.id}/activate`, {});
    note(`clerk: card handed over and activated (state ${active.state})`);
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
    note(`${holder.name}, citizen ID ${holder.citizenId}, born ${holder.dateOfBirth}, ${holder.residency} resident (written by the station from the registry)`);
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

    step('A metro gate joins: registered with the backend, assembled from the terminal agent\'s parts');
    const registered = await registerGate(staff, TERMINAL_NUMBER, 'Line 1, People\'s Square, gate 3');
    const gateDir = path.join(demoDir, 'gate');
    gate = await DemoGate.open({
      dir: gateDir,
      backendUrl: backend.url,
      credential: registered.credential,
      hotlistKey: registered.hotlistKey,
      fare: GATE_FARE,
      card: cardSlot,
      psam: psamSlot,
    });
    const risk = gate.config.risk;
    const shown = (file: string): string => path.relative(process.cwd(), path.join(gateDir, file));
    note(`configuration ${shown(GATE_CONFIG_FILE)}: flat fare ${money(GATE_FARE)}, the backend's hotlist key pinned; the credential comes as ${TERMINAL_TOKEN_ENV}, never in the file`);
    note(`PSAM open: terminal ${toHex(gate.terminal)}; records in ${shown(RECORDS_FILE)}`);
    note(`hotlist: version ${gate.hotlist.version}, ${gate.hotlist.size} cards (${hotlistHow(gate)}), kept in ${shown(HOTLIST_FILE)}; following its event stream`);
    note(`risk: hotlisted cards refused and blocked; ${money(risk.capPerCard)} per card between hotlist syncs; stale after ${risk.maxOfflineMs / 3_600_000} h (then ${money(risk.staleCapPerCard)} per card)`);

    step(`Taps at the gate: the agent's tap flow (risk check, intent stored before DEBIT, record stored after)`);
    for (let i = 0; i < GATE_TAPS; i++) {
      const tap = await gate.tap();
      if (tap.kind !== 'approved' || tap.record === undefined) throw new Error(`gate tap: ${gateLine(tap)}`);
      const r = tap.record;
      note(`${gateLine(tap).padEnd(32)} card ${r.cardNumber} counter ${r.offlineCounter}  TTSN ${r.ttsn}  TAC ${r.tac}`);
    }
    note(`store: ${gate.store.count()} records, ${gate.store.uploadBacklog()} waiting for upload, ${gate.store.pendingIntents().length} intents pending`);

    step('The citizen reports the card lost at the bureau; the gate refuses it and blocks its purse');
    const started = process.hrtime.bigint();
    await staff.clerk.request<Card>('POST', `/api/v1/cards/${applied.id}/loss-report`, { reason: 'lost' });
    await gate.hotlist.waitFor(cardNumber);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    note(`loss report to the gate's hotlist: ${elapsedMs.toFixed(1)} ms (version ${gate.hotlist.version}, ${hotlistHow(gate)})`);
    const refused = await gate.tap();
    note(`tap at the gate: ${gateLine(refused)}  (${outcomeDetail(refused)})`);
    if (refused.kind !== 'declined' || refused.reason !== 'CARD_HOTLISTED' || refused.blocked !== true) throw new Error('the gate did not refuse and block the hotlisted card');
    const afterBlock = await gate.tap({ hotlist: false });
    note(`the same card at a terminal without the hotlist: ${gateLine(afterBlock)}  (${outcomeDetail(afterBlock)})`);
    if (afterBlock.kind !== 'declined' || afterBlock.reason !== 'CARD_BLOCKED') throw new Error('the blocked purse was not refused');

    step('The gate uploads its records: its upload key registered, signed batches to the backend\'s inbox');
    const registration = await gate.registerUploadKey();
    note(`upload key ${shown(UPLOAD_KEY_FILE)} (Ed25519, ${gate.uploadKey.created ? 'made on first start' : 'kept from before'}) registered for terminal ${registration.terminal}`);
    const first = await gate.drain();
    note(`drain: ${plural(first.batches, 'batch', 'batches')}, ${plural(first.records, 'record', 'records')}: accepted ${first.accepted}, duplicates ${first.duplicates}, conflicts ${first.conflicts}; backlog now ${gate.store.uploadBacklog()}`);
    if (first.accepted !== GATE_TAPS || gate.store.uploadBacklog() !== 0) throw new Error('the backend did not take every record');
    const again = await gate.drain();
    note(`drain again: ${again.batches === 0 ? 'nothing to send' : `${plural(again.batches, 'batch', 'batches')} (!)`}`);
    if (again.batches !== 0) throw new Error('a second drain sent records again');

    console.log('\nDemo complete.');
  } finally {
    gate?.close();
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

/** How the gate's hotlist got its last update: `delta by stream`, `snapshot by fetch`. */
function hotlistHow(gate: DemoGate): string {
  const update = gate.lastHotlistUpdate;
  return update === undefined ? 'no update yet' : `${update.kind} by ${update.source}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function outcomeDetail(outcome: TapOutcome): string {
  return outcome.kind === 'declined' || outcome.kind === 'tapAgain' ? outcome.detail : outcome.kind;
}

function shorten(hex: string): string {
  return hex.length > 40 ? `${hex.slice(0, 40)}…` : hex;
}

function cardTypeName(type: number): string {
  return Object.entries(CARD_TYPE).find(([, v]) => v === type)?.[0] ?? `type ${type}`;
}
