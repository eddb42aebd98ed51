/**
 * The kiosk's JSON API over HTTP, with in-process cards (card-os VirtualCards carrying the ID and
 * EP applications behind an InProcessAdapter), a test-profile HSM as the load custodian, and the
 * backend in-process with its identity and kiosk routes. Fixed clock: 2026-11-23 09:30:00 UTC.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, StoreTransaction, TEST_PROFILE, VirtualCard, idApplication, personalizeTestProfile } from '@citycard/card-os';
import { cardCertificateIssuer, createCityCa, type CityCa } from '@citycard/hsm-sim/ca';
import { EP_LIFECYCLE, EP_LIFECYCLE_KEY, epApplication } from '../../card-os/src/applications/ep/index.js';
import { personalizeEpTestProfile } from '../../card-os/src/personalization/epTestProfile.js';
import { type CardTransport, CardRemovedError, InProcessAdapter, type LoadRecord } from '../../terminal-agent/src/index.js';
import { AssertionRejectedError, type KioskOptions, checkIdentityAssertion, startKiosk } from '../../terminal-agent/src/kiosk/index.js';
import { InProcessReaderManager } from '../../terminal-agent/src/readers/index.js';
import { FIXED_TIME, type TestHsm, makeTestHsm } from '../hsm-sim/fixtures.js';
import { KIOSK_TERMINAL, type KioskBackend, RecordingLogger, SERVICE_POINT, kioskCall, startKioskBackend } from './kioskKit.js';

const CARD_A = '1000000000000011';
const CARD_B = '1000000000000012';
const CARD_FOREIGN = '1000000000000013';
const CARD_BLOCKED_PURSE = '1000000000000014';
const CARD_LOST = '1000000000000015';
const CARD_TORN = '1000000000000016';
const HOLDER_A = '陈小明';
const HOLDER_B = 'Aygul Memet';
const RIGHT_PIN = TEST_PROFILE.pin;
const WRONG_PIN = '975318';
const NEW_PIN = '246802';
const START_BALANCE = 1000;
const TOP_UP = 5000;
const IDLE_MS = 60_000;
const ASSERTION_EXPIRES = '2026-11-23T09:35:00.000Z';
// VERIFY and CHANGE REFERENCE DATA carry the PIN as ASCII digits: these bytes must never reach a log.
const RIGHT_PIN_HEX = '313233343536';
const WRONG_PIN_HEX = '393735333138';
const NEW_PIN_HEX = '323436383032';
// CREDIT FOR LOAD: CLA 80, INS 52.
const PURSE_CLA = 0x80;
const CREDIT_FOR_LOAD_INS = 0x52;

/** The kiosk's card slot, able to lose the next CREDIT FOR LOAD: after the card ran it (`answer`) or before (`command`). */
class TornSlot implements CardTransport {
  lose: 'nothing' | 'answer' | 'command' = 'nothing';
  constructor(readonly inner: InProcessAdapter) {}
  get name(): string {
    return this.inner.name;
  }
  powerOn(): Promise<Buffer> {
    return this.inner.powerOn();
  }
  async transmit(command: Uint8Array): Promise<Buffer> {
    if (this.lose !== 'nothing' && command[0] === PURSE_CLA && command[1] === CREDIT_FOR_LOAD_INS) {
      const lose = this.lose;
      this.lose = 'nothing';
      if (lose === 'answer') await this.inner.transmit(command);
      throw new CardRemovedError('the answer to CREDIT FOR LOAD was lost');
    }
    return this.inner.transmit(command);
  }
  isPresent(): Promise<boolean> {
    return this.inner.isPresent();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

let ca: CityCa;
let hsm: TestHsm;
let backend: KioskBackend;
let kiosk: { url: string; close(): Promise<void> };
let offlineKiosk: { url: string; close(): Promise<void> };
let slot: InProcessAdapter;
let tornSlot: TornSlot;
let offlineSlot: InProcessAdapter;
let now = FIXED_TIME.getTime();
const clock = (): Date => new Date(now);
const hotlist = new Set<string>();
const loads: LoadRecord[] = [];
const logger = new RecordingLogger();
const apduLog = new RecordingLogger();
const cards = new Map<string, VirtualCard>();

function makeCard(cardNumber: string, options: { name?: string; issuer?: CityCa; purseBlocked?: boolean } = {}): VirtualCard {
  const store = new MemoryStore();
  personalizeTestProfile(store, {
    issueCertificate: cardCertificateIssuer(options.issuer ?? ca),
    cardNumber,
    now: FIXED_TIME,
    timeZone: 'UTC',
    cardholder: { ...TEST_PROFILE.cardholder, name: options.name ?? TEST_PROFILE.cardholder.name },
  });
  personalizeEpTestProfile(store, { cardNumber, balance: START_BALANCE, now: FIXED_TIME, timeZone: 'UTC' });
  if (options.purseBlocked === true) {
    const tx = new StoreTransaction(store);
    tx.set(EP_LIFECYCLE_KEY, Buffer.from([EP_LIFECYCLE.blocked]));
    tx.commit();
  }
  return new VirtualCard({ store, applications: [idApplication, epApplication] });
}

/** Put `cardNumber`'s card in `into` (throws when the slot holds one). */
function insert(cardNumber: string, into: InProcessAdapter = slot): void {
  into.insert(cards.get(cardNumber)!);
}

/** Take the card out of `into` and let the kiosk at `url` see the empty slot, as its page's poll does. */
async function takeOut(into: InProcessAdapter = slot, url: string = kiosk.url): Promise<void> {
  into.remove();
  expect((await kioskCall(url, 'GET', '/api/session')).json.takeCard).toBe(false);
}

const post = (route: string, body?: unknown, headers?: Record<string, string>) => kioskCall(kiosk.url, 'POST', route, body, headers);
const get = (route: string) => kioskCall(kiosk.url, 'GET', route);

async function tapAndVerify(cardNumber: string, pin: string = RIGHT_PIN): Promise<void> {
  insert(cardNumber);
  expect((await post('/api/tap')).json.phase).toBe('pin');
  const verified = await post('/api/pin', { pin });
  expect(verified.status).toBe(200);
  expect(verified.json.phase).toBe('ready');
}

async function endAndRemove(): Promise<void> {
  expect((await post('/api/end')).json).toMatchObject({ phase: 'idle', ended: 'finished', takeCard: true });
  await takeOut();
}

function kioskOptions(overrides: Partial<KioskOptions>): KioskOptions {
  return {
    card: tornSlot,
    caCertificate: ca.certificatePem,
    backend: { url: backend.url, credential: backend.credential },
    servicePoint: SERVICE_POINT,
    terminalNumber: KIOSK_TERMINAL,
    loadCustodian: hsm.as('load'),
    loadRecords: { put: (r: LoadRecord) => loads.push(r) },
    isHotlisted: (n: string) => hotlist.has(n),
    clock,
    timeZone: 'UTC',
    idleTimeoutMs: IDLE_MS,
    cardWaitMs: 300,
    host: '127.0.0.1',
    port: 0,
    logger,
    apduLogger: apduLog,
    ...overrides,
  };
}

beforeAll(async () => {
  ca = createCityCa({ notBefore: new Date('2026-01-01T00:00:00Z') });
  const otherCa = createCityCa({ notBefore: new Date('2026-01-01T00:00:00Z') });
  hsm = makeTestHsm();
  cards.set(CARD_A, makeCard(CARD_A, { name: HOLDER_A }));
  cards.set(CARD_B, makeCard(CARD_B, { name: HOLDER_B }));
  cards.set(CARD_FOREIGN, makeCard(CARD_FOREIGN, { issuer: otherCa }));
  cards.set(CARD_BLOCKED_PURSE, makeCard(CARD_BLOCKED_PURSE, { purseBlocked: true }));
  cards.set(CARD_LOST, makeCard(CARD_LOST));
  cards.set(CARD_TORN, makeCard(CARD_TORN));
  backend = await startKioskBackend({
    caCertificatePem: ca.certificatePem,
    clock: () => FIXED_TIME,
    cards: [CARD_A, CARD_B, CARD_FOREIGN, CARD_BLOCKED_PURSE, CARD_LOST, CARD_TORN].map((cardNumber) => ({
      cardNumber,
      name: cardNumber === CARD_A ? HOLDER_A : cardNumber === CARD_B ? HOLDER_B : 'Test Citizen',
    })),
  });
  slot = new InProcessAdapter(undefined, 'kiosk card slot');
  tornSlot = new TornSlot(slot);
  offlineSlot = new InProcessAdapter(undefined, 'offline kiosk card slot');
  kiosk = await startKiosk(kioskOptions({}));
  // Port 1 on loopback refuses connections: a backend that is down.
  offlineKiosk = await startKiosk(kioskOptions({ card: offlineSlot, backend: { url: 'http://127.0.0.1:1', credential: backend.credential } }));
}, 60_000);

afterAll(async () => {
  await kiosk?.close();
  await offlineKiosk?.close();
  await backend?.close();
  hsm?.dispose();
});

describe('kiosk page and API defences', () => {
  it('serves the page with a strict CSP, no inline code and no caching', async () => {
    const res = await fetch(kiosk.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
    for (const asset of ['app.js', 'api.js', 'dom.js', 'format.js', 'i18n.js', 'pinpad.js', 'kiosk.css']) {
      expect((await fetch(`${kiosk.url}/${asset}`)).status).toBe(200);
    }
    expect((await fetch(`${kiosk.url}/..%2fpackage.json`)).status).toBe(404);
  });

  it('refuses a POST without the kiosk header, from another origin, or by a host name it does not serve', async () => {
    const noHeader = await fetch(`${kiosk.url}/api/end`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noHeader.status).toBe(400);
    expect(((await noHeader.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    expect((await post('/api/end', {}, { origin: 'http://evil.example' })).status).toBe(400);
    expect((await post('/api/end', {}, { 'content-type': 'text/plain' })).status).toBe(400);
    const rebound = await new Promise<number>((resolve, reject) => {
      const u = new URL(kiosk.url);
      // fetch sets Host itself; node:http lets the test claim another one.
      import('node:http').then(({ request }) => {
        const req = request({ host: u.hostname, port: u.port, path: '/api/session', headers: { host: `kiosk.evil.example:${u.port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
    expect(rebound).toBe(400);
  });

  it('answers waiting when no card comes within the wait', async () => {
    const answer = await post('/api/tap');
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ phase: 'idle', waiting: true, takeCard: false });
  });

  it('refuses services before a card session', async () => {
    const purse = await get('/api/purse');
    expect(purse.status).toBe(409);
    expect(purse.json.error.code).toBe('NO_SESSION');
  });
});

describe('a citizen at the kiosk', () => {
  it('inserts a genuine card: the kiosk checks it offline and asks for the PIN', async () => {
    insert(CARD_A);
    const answer = await post('/api/tap');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      phase: 'pin',
      card: { cardNumber: CARD_A, cardType: 'adult', validFrom: '2026-11-23', validUntil: '2036-11-23', issuer: 'CityCard Test City CA' },
      pin: { triesLeft: 3, blocked: false },
      offline: false,
      services: { topUp: false, accessLog: false },
      topUpAmounts: [2000, 5000, 10_000],
      takeCard: false,
    });
  });

  it('enters a wrong PIN and is told the tries left', async () => {
    const answer = await post('/api/pin', { pin: WRONG_PIN });
    expect(answer.status).toBe(403);
    expect(answer.json.error).toEqual({ code: 'PIN_WRONG', message: 'wrong PIN', triesLeft: 2 });
    expect((await get('/api/session')).json.pin).toEqual({ triesLeft: 2, blocked: false });
  });

  it('a PIN that is not 4 to 8 digits never reaches the card', async () => {
    for (const pin of ['12', '123456789', '12a4', 42]) {
      const answer = await post('/api/pin', { pin });
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('PIN_FORMAT');
    }
    expect((await get('/api/session')).json.pin).toEqual({ triesLeft: 2, blocked: false });
  });

  it('enters the right PIN: the backend vouches for the cardholder with a signed assertion', async () => {
    const answer = await post('/api/pin', { pin: RIGHT_PIN });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      phase: 'ready',
      holder: { name: HOLDER_A, servicePoint: SERVICE_POINT, expiresAt: ASSERTION_EXPIRES, confirmedBy: 'backend' },
      offline: false,
      services: { topUp: true, accessLog: true },
    });
    expect(answer.json.pin).toBeUndefined();
  });

  it('sees the balance and an empty transaction log', async () => {
    const purse = await get('/api/purse');
    expect(purse.status).toBe(200);
    expect(purse.json).toEqual({ cardNumber: CARD_A, balance: START_BALANCE, expiryDate: '2036-11-23', transactions: [] });
  });

  it('tops up: the HSM authorises the load, the record is kept and the card logs it', async () => {
    const answer = await post('/api/top-up', { amount: TOP_UP });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ amount: TOP_UP, balanceBefore: START_BALANCE, balanceAfter: START_BALANCE + TOP_UP, confirmed: true });
    expect(loads).toHaveLength(1);
    expect(loads[0]).toMatchObject({ kind: 'load', cardNumber: CARD_A, amount: TOP_UP, terminal: KIOSK_TERMINAL, date: '20261123', time: '093000', onlineCounter: 0, tacVerified: true });
    const purse = await get('/api/purse');
    expect(purse.json.balance).toBe(START_BALANCE + TOP_UP);
    expect(purse.json.transactions).toEqual([{ kind: 'load', amount: TOP_UP, terminal: KIOSK_TERMINAL, date: '2026-11-23', time: '09:30:00', counter: 0 }]);
  });

  it('cannot top up an amount the kiosk does not offer', async () => {
    for (const amount of [1234, 0, -2000, '5000']) {
      const answer = await post('/api/top-up', { amount });
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('TOPUP_AMOUNT');
    }
    expect(loads).toHaveLength(1);
  });

  it('sees who read their data, newest first: the kiosk’s own identity check and a clerk', async () => {
    const holderId = backend.holders.get(CARD_A)!;
    const { staff } = await backend.built.context.staff.create({ username: 'clerk.li', displayName: 'Li', role: 'clerk' }, 'test');
    backend.built.context.cardholders.get(holderId, { accessor: staff.id, purpose: 'correction' });
    const answer = await get('/api/access-log');
    expect(answer.status).toBe(200);
    expect(answer.json.entries).toEqual([
      { at: FIXED_TIME.toISOString(), purpose: 'correction', accessor: { kind: 'staff', role: 'clerk' } },
      { at: FIXED_TIME.toISOString(), purpose: 'service', accessor: { kind: 'terminal', terminalNumber: KIOSK_TERMINAL } },
    ]);
  });

  it('changes the PIN: a wrong current PIN costs a try, the same PIN is refused, then the new one is set', async () => {
    const wrong = await post('/api/pin/change', { oldPin: WRONG_PIN, newPin: NEW_PIN });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error).toEqual({ code: 'PIN_WRONG', message: 'the current PIN is wrong', triesLeft: 2 });
    const same = await post('/api/pin/change', { oldPin: RIGHT_PIN, newPin: RIGHT_PIN });
    expect(same.status).toBe(400);
    expect(same.json.error).toMatchObject({ code: 'PIN_FORMAT', reason: 'PIN_UNCHANGED' });
    const changed = await post('/api/pin/change', { oldPin: RIGHT_PIN, newPin: NEW_PIN });
    expect(changed.status).toBe(200);
    expect(changed.json).toEqual({ changed: true });
  });

  it('finishes; the card still in the slot is not taken up again until it has left', async () => {
    expect((await post('/api/end')).json).toMatchObject({ phase: 'idle', ended: 'finished', takeCard: true });
    expect((await post('/api/tap')).json).toMatchObject({ phase: 'idle', waiting: true, takeCard: true });
    await takeOut();
  });

  it('comes back: the old PIN is refused and the new one opens the services', async () => {
    insert(CARD_A);
    expect((await post('/api/tap')).json.phase).toBe('pin');
    expect((await post('/api/pin', { pin: RIGHT_PIN })).json.error).toMatchObject({ code: 'PIN_WRONG', triesLeft: 2 });
    expect((await post('/api/pin', { pin: NEW_PIN })).json.phase).toBe('ready');
  });

  it('takes the card out: the session ends and the services close', async () => {
    slot.remove();
    expect((await get('/api/session')).json).toMatchObject({ phase: 'idle', ended: 'removed', takeCard: false });
    const purse = await get('/api/purse');
    expect(purse.status).toBe(409);
    expect(purse.json.error.code).toBe('NO_SESSION');
  });

  it('a session left alone ends after the idle time', async () => {
    await tapAndVerify(CARD_A, NEW_PIN);
    now += IDLE_MS + 1;
    try {
      expect((await get('/api/session')).json).toMatchObject({ phase: 'idle', ended: 'timeout', takeCard: true });
      expect((await get('/api/purse')).json.error.code).toBe('SESSION_TIMEOUT');
    } finally {
      now = FIXED_TIME.getTime();
    }
    await takeOut();
  });
});

describe('refusals and their screens', () => {
  it('three wrong PINs block it; the blocked PIN has its own phase, also on the next visit', async () => {
    insert(CARD_B);
    expect((await post('/api/tap')).json.phase).toBe('pin');
    expect((await post('/api/pin', { pin: WRONG_PIN })).json.error).toMatchObject({ code: 'PIN_WRONG', triesLeft: 2 });
    expect((await post('/api/pin', { pin: WRONG_PIN })).json.error).toMatchObject({ code: 'PIN_WRONG', triesLeft: 1 });
    const blocked = await post('/api/pin', { pin: WRONG_PIN });
    expect(blocked.status).toBe(403);
    expect(blocked.json.error.code).toBe('PIN_BLOCKED');
    expect((await get('/api/session')).json).toMatchObject({ phase: 'pinBlocked', pin: { triesLeft: 0, blocked: true } });
    expect((await post('/api/pin', { pin: RIGHT_PIN })).json.error.code).toBe('NO_SESSION');
    await endAndRemove();
    insert(CARD_B);
    expect((await post('/api/tap')).json).toMatchObject({ phase: 'pinBlocked', pin: { triesLeft: 0, blocked: true } });
    await endAndRemove();
  });

  it('a card certified by another CA is not genuine, and is not taken up again while it stays in', async () => {
    insert(CARD_FOREIGN);
    const answer = await post('/api/tap');
    expect(answer.status).toBe(403);
    expect(answer.json.error).toMatchObject({ code: 'CARD_NOT_GENUINE', reason: 'CERT_NOT_ISSUED_BY_CA' });
    expect((await post('/api/tap')).json).toMatchObject({ phase: 'idle', waiting: true, takeCard: true });
    await takeOut();
  });

  it('a card on the kiosk’s hotlist is refused at the tap', async () => {
    hotlist.add(CARD_A);
    try {
      insert(CARD_A);
      const answer = await post('/api/tap');
      expect(answer.status).toBe(403);
      expect(answer.json.error.code).toBe('CARD_HOTLISTED');
    } finally {
      hotlist.delete(CARD_A);
      await takeOut();
    }
  });

  it('a card the city no longer has active is refused after the PIN, and the session ends', async () => {
    backend.setCardState(CARD_LOST, 'active', 'blocked');
    insert(CARD_LOST);
    expect((await post('/api/tap')).json.phase).toBe('pin');
    const answer = await post('/api/pin', { pin: RIGHT_PIN });
    expect(answer.status).toBe(403);
    expect(answer.json.error).toMatchObject({ code: 'CARD_HOTLISTED', reason: 'CARD_NOT_ACTIVE' });
    expect((await get('/api/session')).json).toMatchObject({ phase: 'idle', ended: 'refused', takeCard: true });
    await takeOut();
  });

  it('a blocked purse shows its balance but takes no top-up', async () => {
    await tapAndVerify(CARD_BLOCKED_PURSE);
    expect((await get('/api/purse')).json.balance).toBe(START_BALANCE);
    const answer = await post('/api/top-up', { amount: TOP_UP });
    expect(answer.status).toBe(403);
    expect(answer.json.error).toMatchObject({ code: 'CARD_BLOCKED', reason: 'CARD_BLOCKED' });
    expect(loads).toHaveLength(1);
    await endAndRemove();
  });
});

describe('a top-up whose answer is lost', () => {
  it('is recovered with the same card when the card did credit', async () => {
    await tapAndVerify(CARD_TORN);
    tornSlot.lose = 'answer';
    const answer = await post('/api/top-up', { amount: 2000 });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ amount: 2000, balanceBefore: START_BALANCE, balanceAfter: START_BALANCE + 2000, confirmed: true });
    expect(loads).toHaveLength(2);
    expect(loads[1]).toMatchObject({ kind: 'load', cardNumber: CARD_TORN, amount: 2000, onlineCounter: 0, recovered: true, tacVerified: true });
    expect((await get('/api/purse')).json.balance).toBe(START_BALANCE + 2000);
  });

  it('is declined as not done when the card never saw the credit', async () => {
    tornSlot.lose = 'command';
    const answer = await post('/api/top-up', { amount: 2000 });
    expect(answer.status).toBe(422);
    expect(answer.json.error).toMatchObject({ code: 'TOPUP_DECLINED', reason: 'NOT_COMMITTED' });
    expect(loads).toHaveLength(2);
    expect((await get('/api/purse')).json.balance).toBe(START_BALANCE + 2000);
    await endAndRemove();
  });
});

describe('a reader manager as the card source', () => {
  const READER = 'Kiosk reader 00';
  let readers: InProcessReaderManager;
  let managed: { url: string; close(): Promise<void> };
  const mPost = (route: string, body?: unknown) => kioskCall(managed.url, 'POST', route, body);
  const mGet = (route: string) => kioskCall(managed.url, 'GET', route);

  beforeAll(async () => {
    readers = new InProcessReaderManager();
    await readers.attachReader(READER);
    managed = await startKiosk(kioskOptions({ card: readers }));
  });

  afterAll(async () => {
    await managed?.close();
    await readers?.close();
  });

  it('serves each insertion once: a session per card put in, none for a card left in after finishing', async () => {
    await readers.insertCard(READER, cards.get(CARD_TORN)!);
    expect((await mPost('/api/tap')).json).toMatchObject({ phase: 'pin', card: { cardNumber: CARD_TORN } });
    readers.removeCard(READER);
    expect((await mGet('/api/session')).json).toMatchObject({ phase: 'idle', ended: 'removed', takeCard: false });
    await readers.insertCard(READER, cards.get(CARD_TORN)!);
    expect((await mPost('/api/tap')).json.phase).toBe('pin');
    expect((await mPost('/api/end')).json).toMatchObject({ phase: 'idle', ended: 'finished', takeCard: true });
    expect((await mPost('/api/tap')).json).toMatchObject({ phase: 'idle', waiting: true, takeCard: true });
    readers.removeCard(READER);
    expect((await mGet('/api/session')).json).toMatchObject({ phase: 'idle', takeCard: false });
  });
});

describe('the kiosk’s check of the backend’s assertion', () => {
  const key = generateKeyPairSync('ed25519');
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const CLAIMS = { sub: 'holder-1', name: 'Wang Fang', card: CARD_A, spt: SERVICE_POINT, trm: KIOSK_TERMINAL, iat: 1795426200, exp: 1795426500 };
  const token = (claims: object = CLAIMS, header: object = { alg: 'EdDSA', typ: 'JWT' }) => {
    const input = `${b64(header)}.${b64(claims)}`;
    return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
  };
  const expect_ = { now: FIXED_TIME, cardNumber: CARD_A, servicePoint: SERVICE_POINT };
  const reason = (run: () => unknown) => {
    try {
      run();
    } catch (err) {
      return err instanceof AssertionRejectedError ? err.reason : String(err);
    }
    return 'accepted';
  };

  it('accepts a signed, unexpired assertion for this card and service point', () => {
    expect(FIXED_TIME.getTime() / 1000).toBe(CLAIMS.iat);
    expect(checkIdentityAssertion(token(), key.publicKey, expect_)).toEqual(CLAIMS);
  });

  it('refuses a forged, expired, misdirected or malformed one', () => {
    const [h, , s] = token().split('.');
    expect(reason(() => checkIdentityAssertion(`${h}.${b64({ ...CLAIMS, name: 'Someone Else' })}.${s}`, key.publicKey, expect_))).toBe('SIGNATURE_INVALID');
    expect(reason(() => checkIdentityAssertion(token(), generateKeyPairSync('ed25519').publicKey, expect_))).toBe('SIGNATURE_INVALID');
    expect(reason(() => checkIdentityAssertion(token({ ...CLAIMS, exp: CLAIMS.iat }), key.publicKey, expect_))).toBe('EXPIRED');
    expect(reason(() => checkIdentityAssertion(token({ ...CLAIMS, card: CARD_B }), key.publicKey, expect_))).toBe('WRONG_CARD');
    expect(reason(() => checkIdentityAssertion(token({ ...CLAIMS, spt: 'library' }), key.publicKey, expect_))).toBe('WRONG_SERVICE_POINT');
    expect(reason(() => checkIdentityAssertion(token(CLAIMS, { alg: 'none' }), key.publicKey, expect_))).toBe('MALFORMED');
    expect(reason(() => checkIdentityAssertion(token({ ...CLAIMS, name: 7 }), key.publicKey, expect_))).toBe('MALFORMED');
    expect(reason(() => checkIdentityAssertion('only.two', key.publicKey, expect_))).toBe('MALFORMED');
  });
});

describe('a kiosk whose backend is down', () => {
  const offPost = (route: string, body?: unknown) => kioskCall(offlineKiosk.url, 'POST', route, body);
  const offGet = (route: string) => kioskCall(offlineKiosk.url, 'GET', route);

  it('still checks card and PIN, names the cardholder from the card, and shows the balance', async () => {
    insert(CARD_A, offlineSlot);
    expect((await offPost('/api/tap')).json.phase).toBe('pin');
    const answer = await offPost('/api/pin', { pin: NEW_PIN });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      phase: 'ready',
      holder: { name: HOLDER_A, servicePoint: SERVICE_POINT, confirmedBy: 'card' },
      offline: true,
      services: { topUp: false, accessLog: false },
    });
    expect(answer.json.holder.expiresAt).toBeUndefined();
    expect((await offGet('/api/purse')).json.balance).toBe(START_BALANCE + TOP_UP);
  });

  it('refuses top-up and the data-access log as offline', async () => {
    for (const answer of [await offPost('/api/top-up', { amount: TOP_UP }), await offGet('/api/access-log')]) {
      expect(answer.status).toBe(503);
      expect(answer.json.error.code).toBe('OFFLINE');
    }
    await takeOut(offlineSlot, offlineKiosk.url);
  });
});

describe('what the kiosk logs', () => {
  it('never a PIN: not in its log, and masked in the APDU trace', () => {
    const logged = logger.lines.join('\n');
    for (const pin of [RIGHT_PIN, WRONG_PIN, NEW_PIN]) expect(logged).not.toContain(pin);
    expect(logged).toContain('"card":"••••0011"');
    expect(logged).not.toContain(CARD_A);
    const trace = apduLog.lines.join('\n');
    expect(trace).toContain('"apdu":"VERIFY"');
    expect(trace).toContain('"apdu":"CHANGE REFERENCE DATA"');
    for (const hex of [RIGHT_PIN_HEX, WRONG_PIN_HEX, NEW_PIN_HEX]) expect(trace).not.toContain(hex);
  });
});
