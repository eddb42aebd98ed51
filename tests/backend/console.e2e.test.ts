/**
 * The bureau console end to end in headless Debian Chromium: a wrong password, the first-login
 * password change, enrolling a resident with a Uygur name, finding them, walking their card from
 * application to loss report (queued for personalization on the way, with the Issuance view's
 * progress refreshing while it is open), reissue under dual control (and a revocation request
 * withdrawn), and the auditor's chain check. One screenshot per step goes to test-artifacts/console-e2e/
 * (gitignored).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../backend/src/domain/audit/verifyAuditChain.js';
import { citizenIdCheckChar } from '../../backend/src/domain/cardholders/citizenId.js';
import {
  type ConsoleBackend,
  type ConsoleBrowser,
  artifactDir,
  createReadyStaff,
  createStaff,
  openConsoleBrowser,
  startConsoleBackend,
} from './consoleKit.js';

const CLERK_PASSWORD = 'clerk chooses this passphrase';
const SUPERVISOR_PASSWORD = 'supervisor passphrase 7';
const AUDITOR_PASSWORD = 'auditor passphrase 9';
const WRONG_PASSWORD = 'not the right passphrase';
const TOKEN_KEY = 'citycard.console.token';
const HOLDER_NAME = '阿依古丽·买买提';
const HOLDER_ADDRESS = '乌鲁木齐市天山区解放南路 12 号';
const HOLDER_BIRTH = '1990-03-07';
const ID_BODY = '65010219900307002';
const HOLDER_CITIZEN_ID = ID_BODY + citizenIdCheckChar(ID_BODY);
const CARD_NUMBER = '8860000000000017';
// The first job of a fresh database gets sequence 1 under the default prefix 1000.
const QUEUED_CARD_NUMBER = '1000000000000001';
const STATION = 'desk-1';
const CARD_HISTORY = [
  'card.applied',
  'card.approved',
  'card.personalized',
  'card.number-assigned',
  'card.issued',
  'card.activated',
  'card.blocked',
  'card.replaced',
];

let backend: ConsoleBackend;
let chrome: ConsoleBrowser;
let page: Page;
let shots: string;
let shotNo = 0;
let clerkOtp: string;
const problems: string[] = [];
let cardId: string;

async function shot(name: string): Promise<void> {
  shotNo += 1;
  await page.screenshot({ path: join(shots, `${String(shotNo).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function statusSays(text: string): Promise<void> {
  await page.locator('#status', { hasText: text }).waitFor();
}

async function signIn(username: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function findAndOpen(prefix: string): Promise<void> {
  await page.getByRole('button', { name: 'Find cardholder' }).click();
  const view = page.locator('#view-search');
  await view.getByLabel('Name', { exact: true }).fill(prefix);
  await view.getByLabel('Purpose of this look-up').selectOption('service');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('button', { name: `Open ${HOLDER_NAME}` }).click();
  await page.getByRole('heading', { name: HOLDER_NAME }).waitFor();
}

const cardRow = () => page.locator(`#ch-cards tr[data-card="${cardId}"]`);

/** Clicks a card action and waits for the console's status line and the card's new state. */
async function cardAction(label: string, expectStatus: string, expectState: string): Promise<void> {
  await cardRow().getByRole('button', { name: label }).click();
  await statusSays(expectStatus);
  await cardRow().locator('td.state', { hasText: expectState }).waitFor();
}

const count = (name: string) => page.locator(`#iss-${name}`);

/**
 * Opens the Issuance view on the one queued job, lets a station claim it over the API and waits
 * for the open view to show the claim without any click (the 2 s refresh).
 */
async function issuanceProgressRefreshes(): Promise<void> {
  await page.getByRole('button', { name: 'Issuance', exact: true }).click();
  await page.getByRole('heading', { name: 'Issuance progress' }).waitFor();
  await page.locator('#iss-total', { hasText: '1' }).waitFor();
  expect(await Promise.all(['total', 'queued', 'claimed', 'done', 'failed', 'retries'].map((n) => count(n).textContent()))).toEqual(['1', '1', '0', '0', '0', '0']);
  const bar = page.getByRole('progressbar', { name: 'Cards personalized' });
  expect([await bar.getAttribute('max'), await bar.getAttribute('value')]).toEqual(['1', '0']);
  expect(await page.locator('#iss-summary').textContent()).toBe('0 of 1 cards personalized (0 %)');
  await shot('issuance-progress');

  const { token } = await backend.built.context.sessions.login('clerk.wang', CLERK_PASSWORD, '127.0.0.1');
  const claim = await fetch(`${backend.server.url}/api/v1/issuance/claims`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ station: STATION }),
  });
  expect(claim.status).toBe(200);
  expect(((await claim.json()) as { order: { cardInfo: { cardNumber: string } } }).order.cardInfo.cardNumber).toBe(QUEUED_CARD_NUMBER);
  await page.locator('#iss-claimed', { hasText: '1' }).waitFor();
  expect([await count('queued').textContent(), await count('total').textContent()]).toEqual(['0', '1']);
  await shot('issuance-claimed');
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await statusSays('Signed out.');
}

beforeAll(async () => {
  shots = artifactDir('console-e2e');
  backend = await startConsoleBackend();
  clerkOtp = (await createStaff(backend, 'clerk.wang', 'clerk')).oneTimePassword;
  await createReadyStaff(backend, 'sup.li', 'supervisor', SUPERVISOR_PASSWORD);
  await createReadyStaff(backend, 'aud.zhao', 'auditor', AUDITOR_PASSWORD);
  chrome = await openConsoleBrowser(problems);
  page = chrome.page;
  // A step that never comes fails in seconds, not at the suite timeout.
  page.setDefaultTimeout(10_000);
});

afterAll(async () => {
  await chrome?.close();
  await backend?.close();
});

describe('bureau console in Chromium', () => {
  it('serves the page under its CSP without script errors', async () => {
    const res = await page.goto(`${backend.server.url}/console`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot('sign-in');
    expect(problems).toEqual([]);
  });

  it('shows the API reason for a wrong password and stays signed out (keyboard only)', async () => {
    await page.getByLabel('User name').focus();
    await page.keyboard.type('clerk.wang');
    await page.keyboard.press('Tab');
    await page.keyboard.type(WRONG_PASSWORD);
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('user name or password is wrong');
    expect(await page.evaluate(`sessionStorage.getItem('${TOKEN_KEY}')`)).toBeNull();
    await shot('wrong-password');
  });

  it('makes a one-time password holder choose a new password first', async () => {
    await signIn('clerk.wang', clerkOtp);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(await page.locator('#nav').isHidden()).toBe(true);
    await shot('first-login');
    await page.getByLabel('Current password').fill(clerkOtp);
    await page.getByLabel('New password', { exact: true }).fill(CLERK_PASSWORD);
    await page.getByLabel('Repeat new password').fill(`${CLERK_PASSWORD}!`);
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('the two new passwords differ');
    await page.getByLabel('Repeat new password').fill(CLERK_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await statusSays('Password changed.');
    await page.getByRole('heading', { name: 'Find a cardholder' }).waitFor();
    expect(await page.locator('#whoami').textContent()).toBe('clerk.wang (clerk)');
    await shot('password-changed');
    await signOut();
    await signIn('clerk.wang', CLERK_PASSWORD);
    await page.getByRole('heading', { name: 'Find a cardholder' }).waitFor();
  });

  it('enrolls a resident with a Uygur name, finds them and applies for a card', async () => {
    await page.getByRole('button', { name: 'Enroll' }).click();
    const form = page.locator('#view-enroll');
    await form.getByLabel('Full name').fill(HOLDER_NAME);
    await form.getByLabel(/^Citizen ID/).fill(HOLDER_CITIZEN_ID);
    await form.getByLabel('Birth date').fill(HOLDER_BIRTH);
    await form.getByLabel('Address').fill(HOLDER_ADDRESS);
    await shot('enroll-form');
    await form.getByRole('button', { name: 'Enroll', exact: true }).click();
    await statusSays(`Enrolled ${HOLDER_NAME}.`);
    expect(await page.locator('#ch-fields').textContent()).toContain(HOLDER_ADDRESS);
    // A clerk does not see who read the record: that is for oversight roles.
    await page.locator('#ch-access-note').waitFor();

    await findAndOpen('阿依古丽');
    await shot('found-by-search');
    await page.getByRole('button', { name: 'Apply for a card' }).click();
    await statusSays('Card application recorded.');
    cardId = (await page.locator('#ch-cards tbody tr[data-card]').getAttribute('data-card')) ?? '';
    expect(cardId).not.toBe('');
    await cardRow().locator('td.state', { hasText: 'applied' }).waitFor();

    // Approving an application is for supervisors: the API's reason is shown, nothing changes.
    await cardRow().getByRole('button', { name: 'Approve application' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe(`role clerk may not POST /api/v1/cards/:id/approve`);
    await shot('clerk-cannot-approve-card');
    await signOut();
  });

  it('walks the card from approval to a loss report, and asks for a revocation', async () => {
    await signIn('sup.li', SUPERVISOR_PASSWORD);
    await findAndOpen('阿依');
    await cardAction('Approve application', 'Approve application: done.', 'approved');
    await cardAction('Queue for personalization', `Queue for personalization: queued as card number ${QUEUED_CARD_NUMBER}.`, 'approved');
    await shot('card-queued');
    await issuanceProgressRefreshes();
    await findAndOpen('阿依');
    await page.getByLabel('Card number from the personalization station').fill(CARD_NUMBER);
    await cardAction('Record personalization', 'Record personalization: done.', 'personalized');
    expect(await cardRow().locator('td').first().textContent()).toBe(CARD_NUMBER);
    await cardAction('Issue', 'Issue: done.', 'issued');
    await cardAction('Activate', 'Activate: done.', 'active');
    await shot('card-active');
    await cardAction('Report loss', 'Report loss: done.', 'blocked');
    await shot('card-lost');
    await cardAction('Revoke', 'Revoke: awaiting second approval by another supervisor or admin.', 'blocked');
    await shot('revoke-awaiting-approval');
    // Supervisors see who read the record and why.
    const purposes = await page.locator('#ch-access tbody tr td:nth-child(3)').allTextContents();
    expect(new Set(purposes)).toEqual(new Set(['issuance', 'service']));
    await signOut();
  });

  it('sends a reissue after loss to a second person, who approves it', async () => {
    await signIn('clerk.wang', CLERK_PASSWORD);
    await findAndOpen('阿依');
    await cardAction('Reissue', 'Reissue: awaiting second approval by another supervisor or admin.', 'blocked');
    await shot('reissue-awaiting-approval');

    // The requester sees the request but cannot approve it.
    await page.getByRole('button', { name: 'Approvals' }).click();
    const reissue = page.locator('#approvals-list tbody tr', { hasText: 'card.reissue' });
    await reissue.waitFor();
    await reissue.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe('role clerk may not POST /api/v1/approvals/:id/approve');
    await signOut();

    await signIn('sup.li', SUPERVISOR_PASSWORD);
    await page.getByRole('button', { name: 'Approvals' }).click();
    const revoke = page.locator('#approvals-list tbody tr', { hasText: 'card.revoke' });
    await revoke.waitFor();
    await reissue.waitFor();
    await shot('pending-approvals');
    // The supervisor withdraws their own revocation request and approves the clerk's reissue.
    await revoke.getByRole('button', { name: 'Reject' }).click();
    await statusSays('Rejected: card.revoke.');
    await reissue.getByRole('button', { name: 'Approve' }).click();
    await statusSays('Approved: card.reissue.');
    await reissue.waitFor({ state: 'detached' });
    await shot('reissue-approved');

    await findAndOpen('阿依');
    await cardRow().locator('td.state', { hasText: 'replaced' }).waitFor();
    const states = await page.locator('#ch-cards tbody td.state').allTextContents();
    expect(states).toEqual(['replaced', 'applied']);
    await shot('card-replaced');
    await signOut();
  });

  it('shows the auditor an intact audit chain and the card’s history', async () => {
    await signIn('aud.zhao', AUDITOR_PASSWORD);
    await page.getByRole('heading', { name: 'Audit' }).waitFor();
    // Focus follows the view change, and the auditor is not offered enrollment.
    expect(await page.evaluate('document.activeElement?.id')).toBe('h-audit');
    expect(await page.locator('#nav button', { hasText: 'Enroll' }).isHidden()).toBe(true);
    await page.getByRole('button', { name: 'Verify the audit chain' }).click();
    const chain = page.locator('#audit-chain', { hasText: 'Audit chain OK' });
    await chain.waitFor();
    const report = verifyAuditChain(backend.built.context.db);
    expect(report.ok).toBe(true);
    expect(await chain.textContent()).toContain(`${report.entries} entries`);
    await page.getByLabel(/Subject id/).fill(cardId);
    await page.getByRole('button', { name: 'Show entries' }).click();
    const entries = page.locator('#audit-entries');
    await entries.locator('tbody tr', { hasText: 'card.replaced' }).waitFor();
    const actions = await entries.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(actions.filter((a) => a.startsWith('card.'))).toEqual(CARD_HISTORY);
    await shot('audit-chain-ok');
    // Auditors watch issuance progress but do not queue cards.
    await page.getByRole('button', { name: 'Issuance', exact: true }).click();
    await page.locator('#iss-claimed', { hasText: '1' }).waitFor();
    expect(await page.getByRole('button', { name: 'Queue batch' }).isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });
});
