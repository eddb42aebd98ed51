/**
 * Backend terminal-facing latency (issue 4 targets): (a) loss report to refusal at an online
 * terminal over Redis and the HTTP SSE stream; (b) the identity verification API at a fixed
 * 500 requests/s on loopback with real card signatures, against `citycard backend serve` running
 * as its own process (as deployed), driven from this process over keep-alive HTTP connections.
 * The backend keeps nonces in Redis (its default with a Redis URL); the suite checks afterwards
 * that no nonce reached SQLite.
 */
import { constants, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createCityCa, issueCardCertificate } from '@citycard/hsm-sim/ca';
import { AUTH_MODE, EMPTY_HOTLIST, type HotlistState, applySignedHotlist, authSignedMessage, fromHex, toHex } from '@citycard/protocols';
import pino from 'pino';
import { createApp } from '../../../backend/src/app.js';
import { loadConfig } from '../../../backend/src/config.js';
import { CardRepository } from '../../../backend/src/data/cardRepository.js';
import { openDatabase } from '../../../backend/src/data/db.js';
import { migrate } from '../../../backend/src/data/migrate.js';
import { startServer } from '../../../backend/src/http/server.js';
import { CITY_CA_CERTIFICATE_FILE } from '../../../backend/src/http/terminalServices.js';
import { startBackendProcess } from '../../demo/backendProcess.js';
import type { BenchSection } from '../report.js';
import { fmtMs, msSince, summarize } from '../stats.js';

const LOSS_REPORTS = 200;
const IDENTITY_RATE = 500;
const IDENTITY_SECONDS = 10;
const CARD_NUMBER = '1000000000000001';

export async function benchBackendTerminals(): Promise<BenchSection> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-bench-backend-'));
  const ca = createCityCa({ notBefore: new Date(Date.now() - 86_400_000) });
  writeFileSync(path.join(dir, CITY_CA_CERTIFICATE_FILE), ca.certificatePem);
  const db = openDatabase(dir);
  migrate(db);
  const channel = `citycard:bench:hotlist:${randomBytes(6).toString('hex')}`;
  const built = createApp({ config: loadConfig({}, { dataDir: dir, redisHotlistChannel: channel }), db });
  const server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 2, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
  let kiosk: string;
  let loss: ReturnType<typeof summarize>;
  let certificate: string;
  let cardKey: ReturnType<typeof generateKeyPairSync>['privateKey'];
  try {
    const { terminals } = built.context.terminalServices;
    const merchant = terminals.registerMerchant({ name: 'Bench', category: 'other' }, 'bench');
    const gate = terminals.registerTerminal({ terminalNumber: '900000000001', merchantId: merchant.id, mode: 'gate', location: 'bench' }, 'bench').credential;
    kiosk = terminals.registerTerminal({ terminalNumber: '900000000002', merchantId: merchant.id, mode: 'kiosk', location: 'bench' }, 'bench').credential;
    loss = await benchLossToRefusal(server.url, gate, (card) => built.context.hotlist.listCard(card, 'lost'));
    ({ certificate, cardKey } = seedIdentityCard(ca, db, built.context.cardholders.enroll.bind(built.context.cardholders)));
  } finally {
    await built.context.terminalServices.close();
    await server.close();
  }
  // (b) against the backend as its own process on the same data directory.
  const backend = await startBackendProcess(dir);
  try {
    const identity = await benchIdentity(backend.url, kiosk, certificate, cardKey);
    await backend.stop();
    const sqliteNonces = countSqliteNonces(dir);
    return {
      title: 'Backend: loss report to refusal, identity verification (issue 4)',
      method:
        `(a) ${LOSS_REPORTS} cards listed one after another with Hotlist.listCard (SQLite append, Ed25519 signing, Redis PUBLISH); ` +
        'a terminal holding GET /api/v1/hotlist/stream over HTTP applies each frame with applySignedHotlist; time until the card is in its set. ' +
        `(b) \`citycard backend serve\` as its own process; ${IDENTITY_RATE} requests/s for ${IDENTITY_SECONDS} s, open loop, of POST /api/v1/identity/verifications ` +
        'over keep-alive connections, with nonces issued over HTTP and RSA-2048 card signatures computed beforehand; each verification checks the ' +
        'certificate chain and signature, uses up the nonce in Redis (one Lua script), reads the cardholder (access-logged: the one SQLite commit) and signs an assertion.',
      rows: [
        { metric: 'Loss report to refusal: p50 / p99 / max', value: `${fmtMs(loss.medianMs)} / ${fmtMs(loss.p99Ms)} / ${fmtMs(loss.maxMs)} ms`, target: 'p99 ≤ 2 s', met: loss.p99Ms <= 2000 },
        { metric: 'Identity verification: p50 / p99 / max', value: `${fmtMs(identity.medianMs)} / ${fmtMs(identity.p99Ms)} / ${fmtMs(identity.maxMs)} ms`, target: 'p99 ≤ 20 ms at 500/s', met: identity.p99Ms <= 20 && identity.failures === 0 },
        { metric: 'Identity verification: requests / refused or failed', value: `${identity.samples} / ${identity.failures}`, target: '' },
        { metric: 'Identity nonces written to SQLite', value: String(sqliteNonces), target: '0 (nonces in Redis)', met: sqliteNonces === 0 },
      ],
    };
  } finally {
    await backend.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchLossToRefusal(url: string, credential: string, report: (card: string) => Promise<unknown>) {
  const key = fromHex(((await (await fetch(`${url}/api/v1/hotlist/public-key`)).json()) as { publicKey: string }).publicKey);
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/hotlist/stream?since=0`, { headers: { authorization: `Bearer ${credential}` }, signal: controller.signal });
  if (res.body === null) throw new Error('no stream body');
  let state: HotlistState = EMPTY_HOTLIST;
  let waiting: { card: string; resolve: () => void } | undefined;
  const reader = (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body!) {
        buffered += decoder.decode(chunk as Uint8Array, { stream: true });
        let cut: number;
        while ((cut = buffered.indexOf('\n\n')) >= 0) {
          const data = /^data: (.*)$/m.exec(buffered.slice(0, cut))?.[1];
          buffered = buffered.slice(cut + 2);
          if (data === undefined) continue;
          state = applySignedHotlist(state, Buffer.from(data, 'base64'), key);
          if (waiting !== undefined && state.cards.has(waiting.card)) waiting.resolve();
        }
      }
    } catch {
      // aborted at the end
    }
  })();
  const samples: number[] = [];
  try {
    for (let i = 0; i < LOSS_REPORTS; i++) {
      const card = `20${String(i).padStart(14, '0')}`;
      const arrived = new Promise<void>((resolve) => { waiting = { card, resolve }; });
      const start = process.hrtime.bigint();
      await report(card);
      await arrived;
      samples.push(msSince(start));
    }
  } finally {
    controller.abort();
    await reader;
  }
  return summarize(samples);
}

/** Rows of the SQLite nonce table the backend process left (0 when its nonces were in Redis). */
function countSqliteNonces(dir: string): number {
  const db = openDatabase(dir);
  try {
    return db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM identity_nonces').get()?.n ?? 0;
  } finally {
    db.close();
  }
}

/** An active card with a number, its cardholder, its key and a certificate from the bench CA. */
function seedIdentityCard(ca: ReturnType<typeof createCityCa>, db: ReturnType<typeof openDatabase>, enroll: (input: unknown, actor: string) => { id: string }) {
  const holder = enroll({ kind: 'floating', fullName: 'Bench Holder', birthDate: '1990-01-01', address: 'Bench Street 1', residencePermit: { number: 'BENCH-0001', expiresOn: '2099-01-01' } }, 'bench');
  const cards = new CardRepository(db);
  const now = new Date().toISOString();
  cards.insert({ id: 'bench-card', cardholderId: holder.id, state: 'active', replacesCardId: null, createdAt: now, updatedAt: now });
  cards.setCardNumber('bench-card', CARD_NUMBER);
  const cardKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const certificate = issueCardCertificate({
    ca,
    cardNumber: CARD_NUMBER,
    subjectPublicKeyDer: createPublicKey(cardKey).export({ type: 'spki', format: 'der' }),
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    serial: randomBytes(8),
  }).toString('base64');
  return { certificate, cardKey };
}

async function benchIdentity(url: string, credential: string, certificate: string, cardKey: ReturnType<typeof generateKeyPairSync>['privateKey']) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const post = (route: string, body: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request(new URL(route, url), {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${credential}` },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const total = IDENTITY_RATE * IDENTITY_SECONDS;
  const bodies: string[] = [];
  for (let i = 0; i < total; i++) {
    const res = await post('/api/v1/identity/nonces', JSON.stringify({ servicePoint: 'bench' }));
    const nonce = (JSON.parse(res.body) as { nonce: string }).nonce;
    const signature = sign('sha256', authSignedMessage(AUTH_MODE.cardholder, fromHex(nonce)), { key: cardKey, padding: constants.RSA_PKCS1_PADDING });
    bodies.push(JSON.stringify({ servicePoint: 'bench', nonce, cardNumber: CARD_NUMBER, certificate, signature: toHex(signature) }));
  }
  const samples: number[] = [];
  let failures = 0;
  const inFlight: Promise<void>[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i++) {
    // Open loop: request i starts at i / rate seconds, whatever the earlier ones are doing.
    const due = (i * 1000) / IDENTITY_RATE;
    const wait = due - msSince(started);
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = bodies[i]!;
    inFlight.push((async () => {
      const start = process.hrtime.bigint();
      const res = await post('/api/v1/identity/verifications', body);
      samples.push(msSince(start));
      if (res.status !== 200) failures++;
    })());
  }
  await Promise.all(inFlight);
  agent.destroy();
  return { ...summarize(samples), failures };
}
