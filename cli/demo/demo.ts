/**
 * The end-to-end demo: start the local PC/SC stack, run a virtual citizen card as its own process
 * in vpcd slot 0, and run a terminal-side identity session against it through pcscd. Stops only
 * what it started.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CARD_TYPE, swMessage, toHex } from '@citycard/protocols';
import { ApduChannel, IdentitySession, PcscAdapter, WrongPinError } from '@citycard/terminal-agent';
import { stackDown, stackUp } from '../stack/index.js';
import { VPCD_PORT_CARD, VPCD_READER_NAMES } from '../stack/constants.js';
import { resolveStateDir } from '../stack/paths.js';
import { startCardProcess } from './cardProcess.js';

const CARD_NUMBER = '1000000000000001';
const TEST_PIN = '123456';

export async function runDemo(): Promise<void> {
  step('Starting the local stack (pcscd + vpcd, Redis, quickack route)');
  const stack = await stackUp();
  for (const w of stack.warnings) note(`warning: ${w}`);
  note(stack.started.length > 0 ? `started: ${stack.started.join(', ')}` : 'already running');

  const stateDir = path.join(resolveStateDir(), 'demo', `card-${CARD_NUMBER}`);
  step(`Starting virtual card ${CARD_NUMBER} (state in ${path.relative(process.cwd(), stateDir) || stateDir})`);
  const card = await startCardProcess({ stateDir, port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER });
  note(`city CA certificate: ${card.caCertificatePath}`);

  let adapter: PcscAdapter | undefined;
  try {
    const reader = VPCD_READER_NAMES[0]!;
    step(`Terminal: opening PC/SC reader "${reader}"`);
    adapter = await PcscAdapter.open(reader);
    await adapter.waitForCard(5000);
    const atr = await adapter.powerOn();
    note(`ATR ${toHex(atr)}`);

    const channel = new ApduChannel(adapter);
    const session = new IdentitySession(channel, { caCertificate: readFileSync(card.caCertificatePath) });

    step('SELECT the ID application');
    const fci = await session.selectApplication();
    note(`DF name ${toHex(fci.dfName ?? Buffer.alloc(0))}`);

    step('READ BINARY card info (SFI 01)');
    const info = await session.readCardInfo();
    note(`card ${info.cardNumber}, type ${cardTypeName(info.cardType)}, valid ${info.effectiveDate}..${info.expiryDate}, issuer ${info.issuerId}`);

    step('Certificate (SFI 03): chain to the city CA, validity, card number');
    const cert = await session.verifyCertificate();
    note(`subject ${cert.subject.replace(/\n/g, ', ')}; issuer ${cert.issuer.replace(/\n/g, ', ')}`);
    note(`valid ${cert.validFrom} .. ${cert.validTo}: verified`);

    step('Card authentication: INTERNAL AUTHENTICATE P2 01 with a fresh challenge');
    const cardProof = await session.authenticateCard();
    note(`signature over "CITYCARD-AUTH" ‖ 01 ‖ ${toHex(cardProof.challenge).slice(0, 16)}…: valid (genuine card)`);

    step('PIN: status, then VERIFY');
    const before = await session.pinStatus();
    note(before.verified ? 'already verified' : `${before.triesLeft} tries left`);
    try {
      await session.verifyPin(TEST_PIN);
      note('PIN accepted');
    } catch (err) {
      if (err instanceof WrongPinError) note(`PIN refused: ${err.triesLeft} tries left`);
      throw err;
    }

    step('READ BINARY cardholder (SFI 02, needs the PIN)');
    const holder = await session.readCardholder();
    note(`${holder.name}, citizen ID ${holder.citizenId}, born ${holder.dateOfBirth}, ${holder.residency} resident`);

    step('Cardholder authentication: INTERNAL AUTHENTICATE P2 02 over a service nonce');
    const nonce = Buffer.from('service-point-nonce-0001', 'ascii');
    await session.authenticateCardholder(nonce);
    note('signature valid: the cardholder is present and knows the PIN');

    step('APDU trail of this session (PIN data masked)');
    for (const entry of channel.trail) {
      const rsp = entry.response;
      const sw = rsp !== undefined && rsp.length >= 2 ? rsp.readUInt16BE(rsp.length - 2) : undefined;
      const dataLen = rsp === undefined ? 0 : Math.max(0, rsp.length - 2);
      note(`> ${shorten(toHex(entry.command))}  < ${dataLen} bytes ${sw === undefined ? '(no answer)' : swMessage(sw)}`);
    }
    console.log('\nDemo complete.');
  } finally {
    await adapter?.close();
    await card.stop();
    if (stack.started.length > 0) await stackDown({ only: stack.started });
  }
}

function step(text: string): void {
  console.log(`\n== ${text}`);
}

function note(text: string): void {
  console.log(`   ${text}`);
}

function shorten(hex: string): string {
  return hex.length > 48 ? `${hex.slice(0, 48)}…` : hex;
}

function cardTypeName(type: number): string {
  return Object.entries(CARD_TYPE).find(([, v]) => v === type)?.[0] ?? `type ${type}`;
}
