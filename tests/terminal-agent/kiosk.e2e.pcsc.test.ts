/**
 * The kiosk end to end in headless Debian Chromium, over the real PC/SC stack: a citizen card as
 * its own `citycard card serve` process in vpcd slot 0 (inserted by starting it, taken out by
 * stopping it), the kiosk reading it through pcscd with the reader manager, the HSM as its own process (role `load`), and
 * the backend in-process with its identity and kiosk routes. The citizen walks through every
 * screen: a wrong PIN, the right one and the backend's assertion, balance, a top-up, the
 * transactions, who saw their data, a PIN change, finishing, the card taken out mid-session, a
 * card the city no longer has active, the backend down (offline), and a PIN blocked. One
 * screenshot per screen goes to test-artifacts/kiosk/ (gitignored).
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HsmClient } from '@citycard/hsm-sim';
import { PcscReaderManager } from '../../terminal-agent/src/readers/index.js';
import { startKiosk } from '../../terminal-agent/src/kiosk/index.js';
import { startCardProcess, type CardProcess } from '../../cli/demo/cardProcess.js';
import { startHsmProcess, type HsmProcess } from '../../cli/demo/hsmProcess.js';
import { VPCD_PORT_CARD } from '../../cli/stack/constants.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, artifactDir } from '../backend/consoleKit.js';
import { KIOSK_TERMINAL, type KioskBackend, RecordingLogger, SERVICE_POINT, startKioskBackend } from './kioskKit.js';

const CARD_NUMBER = '1000000000000088';
const HOLDER = 'Chen Xiaoming';
// `card serve` writes the test profile's cardholder onto the card: offline, that is the name shown.
const HOLDER_ON_CARD = 'Test Citizen';
const BALANCE = 1000;
const RIGHT_PIN = '123456';
const WRONG_PIN = '975318';
const NEW_PIN = '246802';

let dir: string;
let hsm: HsmProcess;
let loader: HsmClient;
let backend: KioskBackend;
let readers: PcscReaderManager;
let card: CardProcess | undefined;
let kiosk: { url: string; close(): Promise<void> };
let context: BrowserContext;
let page: Page;
let shots: string;
let shotNo = 0;
const problems: string[] = [];
const logger = new RecordingLogger();

async function shot(name: string): Promise<void> {
  shotNo += 1;
  await page.screenshot({ path: path.join(shots, `${String(shotNo).padStart(2, '0')}-${name}.png`) });
}

/** Insert the card: start its `card serve` process (the same state directory every time). */
async function insertCard(): Promise<void> {
  // One card process at a time: a step that failed with the card in must not leave it running.
  await removeCard();
  card = await startCardProcess({ kind: 'card', stateDir: path.join(dir, 'card'), port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER, balance: BALANCE });
}

/** Take the card out: stop its process (vpcd sees the connection close). */
async function removeCard(): Promise<void> {
  await card?.stop();
  card = undefined;
}

const heading = (name: string) => page.getByRole('heading', { name, exact: true });
const button = (name: string) => page.getByRole('button', { name, exact: true });

async function typePin(pin: string): Promise<void> {
  for (const digit of pin) await page.locator(`#pin-pad button[data-key="${digit}"]`).click();
  expect(await page.locator('#pin-dots').getAttribute('data-count')).toBe(String(pin.length));
  await button('OK').click();
}

beforeAll(async () => {
  shots = artifactDir('kiosk');
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-kiosk-e2e-'));
  // First start personalizes the card (and makes the test city CA); then it is taken out.
  await insertCard();
  const caPem = readFileSync(card!.caCertificatePath, 'utf8');
  await removeCard();
  hsm = await startHsmProcess(path.join(dir, 'hsm'), [{ name: 'kiosk-load', role: 'load' }]);
  loader = await HsmClient.connect({ address: { path: hsm.socketPath }, token: hsm.tokens[0]! });
  backend = await startKioskBackend({ caCertificatePem: caPem, cards: [{ cardNumber: CARD_NUMBER, name: HOLDER }] });
  // As `citycard agent` runs a kiosk: the reader manager hands each inserted card out once.
  readers = new PcscReaderManager();
  await readers.start();
  kiosk = await startKiosk({
    card: readers,
    caCertificate: caPem,
    backend: { url: backend.url, credential: backend.credential, timeoutMs: 2000 },
    servicePoint: SERVICE_POINT,
    terminalNumber: KIOSK_TERMINAL,
    loadCustodian: loader,
    host: '127.0.0.1',
    port: 0,
    logger,
  });
  const userDataDir = path.join(dir, 'chromium');
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) problems.push(`console error: ${msg.text()}`);
  });
  // A step that never comes fails in seconds, not at the suite timeout.
  page.setDefaultTimeout(15_000);
}, 120_000);

afterAll(async () => {
  await context?.close();
  await kiosk?.close();
  await readers?.close();
  await removeCard();
  await loader?.close();
  await hsm?.stop();
  await backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the kiosk page in Chromium, with a card in a PC/SC reader', () => {
  it('welcomes the citizen under its CSP, in English and in Chinese', async () => {
    const res = await page.goto(kiosk.url);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await heading('Insert your citizen card').waitFor();
    await shot('welcome');
    await button('中文').click();
    await heading('请插入市民卡').waitFor();
    await shot('welcome-zh');
    await button('English').click();
    await heading('Insert your citizen card').waitFor();
  });

  it('checks the inserted card offline and asks for the PIN', async () => {
    await insertCard();
    await heading('Enter your PIN').waitFor();
    expect(await page.locator('#pin-card').textContent()).toBe(
      `Card •••• •••• •••• 0088 · adult · valid until ${await validUntil()}✓ Genuine city card: checked with the city certificate`,
    );
    await shot('pin-entry');
  });

  it('says how many tries are left after a wrong PIN', async () => {
    await typePin(WRONG_PIN);
    const alert = page.locator('#pin-message');
    await alert.getByText('Wrong PIN. 2 tries left.').waitFor();
    expect(await page.locator('#pin-dots').getAttribute('data-count')).toBe('0');
    await shot('pin-wrong');
  });

  it('confirms the cardholder with the backend’s signed assertion', async () => {
    await typePin(RIGHT_PIN);
    await heading(`Hello, ${HOLDER}`).waitFor();
    expect(await page.locator('#menu-confirmed').textContent()).toMatch(
      new RegExp(`^Identity confirmed by the city for ${SERVICE_POINT}, valid until \\d\\d:\\d\\d\\.$`),
    );
    expect(await page.locator('#menu-offline').isHidden()).toBe(true);
    await shot('identified');
  });

  it('shows the balance of a card without transactions', async () => {
    await button('Balance and transactions').click();
    await heading('Balance and transactions').waitFor();
    expect(await page.locator('#purse-balance').textContent()).toBe('¥10.00');
    expect(await page.locator('#purse-empty').isVisible()).toBe(true);
    await shot('balance');
    await button('Back').click();
  });

  it('tops up ¥50.00 through the HSM and shows the new balance', async () => {
    await button('Top up').click();
    await heading('Top up your card').waitFor();
    await shot('topup-amounts');
    await button('Load ¥50.00').click();
    await page.getByText('Load ¥50.00 onto your card?').waitFor();
    await shot('topup-confirm');
    await button('Load now').click();
    await heading('Top-up done').waitFor();
    expect(await page.locator('#result-text').textContent()).toBe('¥50.00 loaded. Your balance is now ¥60.00.');
    await shot('topup-done');
    await button('Back to menu').click();
  });

  it('lists the top-up among the card’s transactions', async () => {
    await button('Balance and transactions').click();
    await page.locator('#purse-list tbody tr').first().waitFor();
    expect(await page.locator('#purse-balance').textContent()).toBe('¥60.00');
    const cells = await page.locator('#purse-list tbody tr td').allTextContents();
    expect(cells.slice(1)).toEqual(['Top-up', '+¥50.00', KIOSK_TERMINAL]);
    await shot('transactions');
    await button('Back').click();
  });

  it('shows who saw the cardholder’s data: this kiosk’s identity check', async () => {
    await button('Who saw my data').click();
    await heading('Who saw my data').waitFor();
    await page.locator('#log-list tbody tr').first().waitFor();
    const cells = await page.locator('#log-list tbody tr td').allTextContents();
    expect(cells.slice(1)).toEqual([`Terminal ${KIOSK_TERMINAL}`, 'Identity check for a service']);
    await shot('access-log');
    await button('Back').click();
  });

  it('changes the PIN: current PIN, new PIN twice', async () => {
    await button('Change PIN').click();
    await heading('Enter your current PIN').waitFor();
    await typePin(RIGHT_PIN);
    await heading('Choose a new PIN').waitFor();
    await typePin(NEW_PIN);
    await heading('Enter the new PIN again').waitFor();
    await shot('pin-change-repeat');
    await typePin(NEW_PIN);
    await heading('PIN changed').waitFor();
    await shot('pin-changed');
    await button('Back to menu').click();
  });

  it('finishes: asks to take the card, and welcomes the next citizen once it is out', async () => {
    await page.locator('#screen-menu').getByRole('button', { name: 'Finish' }).click();
    await heading('Please take your card').waitFor();
    await shot('goodbye');
    await removeCard();
    await heading('Insert your citizen card').waitFor();
  });

  it('comes back with the new PIN, then takes the card out in the middle', async () => {
    await insertCard();
    await heading('Enter your PIN').waitFor();
    await typePin(NEW_PIN);
    await heading(`Hello, ${HOLDER}`).waitFor();
    await removeCard();
    await heading('Card removed').waitFor();
    await shot('card-removed');
    await button('Start again').click();
    await heading('Insert your citizen card').waitFor();
  });

  it('refuses a card the city no longer has active, and asks to take it', async () => {
    backend.setCardState(CARD_NUMBER, 'active', 'blocked');
    await insertCard();
    await heading('Enter your PIN').waitFor();
    await typePin(NEW_PIN);
    await heading('This card is not in use').waitFor();
    await shot('card-not-active');
    await removeCard();
    await heading('Insert your citizen card').waitFor();
    backend.setCardState(CARD_NUMBER, 'blocked', 'active');
  });

  it('works offline when the backend is down: card and PIN, the balance, no top-up', async () => {
    await backend.close();
    await insertCard();
    await heading('Enter your PIN').waitFor();
    await typePin(NEW_PIN);
    await heading(`Hello, ${HOLDER_ON_CARD}`).waitFor();
    expect(await page.locator('#menu-offline').isVisible()).toBe(true);
    expect(await page.locator('#menu-confirmed').textContent()).toBe('Identity checked by your card and PIN (offline).');
    expect(await button('Top up').isDisabled()).toBe(true);
    expect(await button('Who saw my data').isDisabled()).toBe(true);
    await shot('offline');
    await button('Balance and transactions').click();
    expect(await page.locator('#purse-balance').textContent()).toBe('¥60.00');
    await button('Back').click();
    await page.locator('#screen-menu').getByRole('button', { name: 'Finish' }).click();
    await heading('Please take your card').waitFor();
    await removeCard();
    await heading('Insert your citizen card').waitFor();
  });

  it('blocks the PIN after three wrong ones and shows its own screen', async () => {
    await insertCard();
    await heading('Enter your PIN').waitFor();
    await typePin(WRONG_PIN);
    await page.getByText('Wrong PIN. 2 tries left.').waitFor();
    await typePin(WRONG_PIN);
    await page.getByText('Wrong PIN. 1 try left: a further wrong PIN blocks it.').waitFor();
    await shot('pin-last-try');
    await typePin(WRONG_PIN);
    await heading('Your PIN is blocked').waitFor();
    await shot('pin-blocked');
    await button('Finish').click();
    await heading('Please take your card').waitFor();
    await removeCard();
    await heading('Insert your citizen card').waitFor();
  });

  it('ran without script errors or CSP violations, and logged no PIN', () => {
    expect(problems).toEqual([]);
    const logged = logger.lines.join('\n');
    for (const pin of [RIGHT_PIN, WRONG_PIN, NEW_PIN]) expect(logged).not.toContain(pin);
  });
});

/** The card's expiry as the page shows it (the test profile: ten years from its first start). */
async function validUntil(): Promise<string> {
  const res = await fetch(`${kiosk.url}/api/session`);
  const view = (await res.json()) as { card?: { validUntil: string } };
  return view.card?.validUntil ?? '?';
}
