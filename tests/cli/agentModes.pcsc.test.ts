/**
 * `citycard agent run --config FILE` end to end, as a child process over the real pcscd and vpcd:
 * the HSM and the backend as their own processes (cli/demo helpers), virtual cards and a PSAM as
 * `card serve` / `psam serve` processes (inserted by starting them, taken out by stopping them).
 *
 * - gate: a flat fare, two taps of one card (taken out and put back in between), SIGTERM ends the
 *   run with its counters, and both purchases are in the terminal's store and the backend's inbox;
 * - POS: amounts typed on stdin (one a line, `q` ends), each charged to the card presented;
 * - kiosk: the page, then the JSON API as the page calls it: tap, a wrong and a right PIN with the
 *   backend's assertion, the purse, a top-up through the HSM (its load record reaches the inbox);
 * - configuration the agent refuses: exit 2 and one line that says why, never the secret.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { citizenIdCheckChar } from '../../backend/src/domain/cardholders/index.js';
import { DB_FILE } from '../../backend/src/data/db.js';
import { CITY_CA_CERTIFICATE_FILE } from '../../backend/src/http/terminalServices.js';
import { type BackendProcess, startBackendProcess } from '../../cli/demo/backendProcess.js';
import { type BureauStaff, type Card, openBureau } from '../../cli/demo/bureau.js';
import { type CardProcess, startCardProcess } from '../../cli/demo/cardProcess.js';
import { type HsmProcess, startHsmProcess } from '../../cli/demo/hsmProcess.js';
import { VPCD_PORT_CARD, VPCD_PORT_PSAM, VPCD_READER_NAMES } from '../../cli/stack/constants.js';
import { REPO_ROOT } from '../../cli/stack/paths.js';

const CLI = path.join(REPO_ROOT, 'bin', 'citycard.js');
const CARD_READER = VPCD_READER_NAMES[0]!;
const SAM_READER = VPCD_READER_NAMES[1]!;
const CARD_NUMBER = '1000000000000088';
const HOLDER = 'Chen Xiaoming';
/** The PSAM's terminal number, registered with the backend as the gate. */
const GATE_TERMINAL = '000000000123';
const POS_TERMINAL = '000000000456';
const KIOSK_TERMINAL = '400000000077';
const SERVICE_POINT = 'kiosk-huangpu-1';
const BALANCE = 5000;
const FARE = 200;
const TOP_UP = 2000;
/** The PIN `card serve` writes (test profile). */
const RIGHT_PIN = '123456';
const WRONG_PIN = '975318';
const EXIT_CANNOT_START = 2;
/** How long a started process gets to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5000;

let dir: string;
let hsm: HsmProcess | undefined;
let backend: BackendProcess | undefined;
let staff: BureauStaff;
let hotlistKey: string;
let caCertificatePath: string;
let gateCredential: string;
let posCredential: string;
let kioskCredential: string;
/** Every card, PSAM and agent process a case started, stopped after it whatever happened. */
const running = new Set<{ stop(): Promise<number | null> }>();

/** SIGTERM, then SIGKILL if `child` has not exited within STOP_GRACE_MS; resolves with the exit code. */
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The card (state kept in `<dir>/card`: the same card each time) into slot 0, or the PSAM of
 * `terminal` into slot 1.
 */
async function insert(kind: 'card' | 'psam', terminal = GATE_TERMINAL): Promise<CardProcess> {
  const card = await startCardProcess(
    kind === 'card'
      ? { kind, stateDir: path.join(dir, 'card'), port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER, balance: BALANCE }
      : { kind, stateDir: path.join(dir, `psam-${terminal}`), port: VPCD_PORT_PSAM, cardNumber: terminal },
  );
  const exited = new Promise<number | null>((resolve) => {
    if (card.child.exitCode !== null || card.child.signalCode !== null) resolve(card.child.exitCode);
    else card.child.once('exit', (code) => resolve(code));
  });
  const handle = { child: card.child, caCertificatePath: card.caCertificatePath, stop: () => stopChild(card.child, exited) };
  running.add(handle);
  return handle;
}

async function takeOut(card: CardProcess): Promise<number | null> {
  running.delete(card);
  return card.stop();
}

/** A running `citycard agent run`, its output kept line by line. */
interface AgentRun {
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the first line (already printed or to come) of `stream` matching `pattern`; rejects after `timeoutMs` or at exit. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Type a line on the agent's stdin (started `withStdin`). */
  type(line: string): void;
  stop(): Promise<number | null>;
}

/** Start `citycard agent run --config configFile` with `secrets` in its environment; stdin a pipe with `withStdin` (a POS's amounts). */
function runAgent(configFile: string, secrets: Readonly<Record<string, string>> = {}, withStdin = false): AgentRun {
  // Only the secrets the case gives: nothing of the caller's CITYCARD_* settings leaks in.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CITYCARD_')));
  const child = spawn(process.execPath, [CLI, 'agent', 'run', '--config', configFile], {
    env: { ...env, ...secrets },
    stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const listeners = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream]! }).on('line', (line) => {
      lines[stream].push(line);
      for (const listener of listeners) listener();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const run: AgentRun = {
    ...lines,
    exited,
    waitFor: (stream, pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        let from = 0;
        const check = (): void => {
          for (; from < lines[stream].length; from++) {
            const m = pattern.exec(lines[stream][from]!);
            if (m !== null) return done(() => resolve(m));
          }
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no ${stream} line ${pattern} within ${timeoutMs} ms:\n${transcript()}`))), timeoutMs);
        const done = (settle: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        void exited.then(() => {
          check();
          done(() => reject(new Error(`the agent exited before ${stream} line ${pattern}:\n${transcript()}`)));
        });
        check();
      }),
    type: (line) => void child.stdin!.write(`${line}\n`),
    stop: () => stopChild(child, exited),
  };
  const transcript = (): string => [...lines.stdout.map((l) => `out| ${l}`), ...lines.stderr.map((l) => `err| ${l}`)].join('\n');
  running.add(run);
  return run;
}

function writeConfig(name: string, config: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Open the backend's database read-only (the backend is its only writer). */
function withBackendDb<T>(read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dir, 'backend', DB_FILE), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

interface InboxRow {
  readonly batch_id: string;
  readonly kind: string;
  readonly card_number: string;
  readonly counter: number;
  readonly terminal_number: string;
  readonly ttsn: number | null;
  readonly amount: number;
}

function inboxOf(terminal: string): InboxRow[] {
  return withBackendDb((db) =>
    db
      .prepare('SELECT batch_id, kind, card_number, counter, terminal_number, ttsn, amount FROM upload_inbox WHERE terminal_number = ? ORDER BY id')
      .all(terminal) as InboxRow[],
  );
}

/** The backend's inbox rows of `terminal`, once there are `count` of them (polls; the uploader runs every second here). */
async function inboxWhenItHolds(terminal: string, count: number, timeoutMs = 15_000): Promise<InboxRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = inboxOf(terminal);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface StoredRow {
  readonly kind: string;
  readonly card_number: string;
  readonly counter: number;
  readonly terminal: string;
  readonly ttsn: number | null;
  readonly amount: number;
  readonly uploaded_batch: string | null;
}

/** The records in an agent's store, read after the agent exited. */
function storedRecords(dataDir: string): StoredRow[] {
  const db = new Database(path.join(dataDir, 'records.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT kind, card_number, counter, terminal, ttsn, amount, uploaded_batch FROM purse_record ORDER BY id').all() as StoredRow[];
  } finally {
    db.close();
  }
}

/** A terminal of `mode` registered with the backend; answers its credential. */
async function registerTerminal(terminalNumber: string, mode: 'gate' | 'pos' | 'kiosk', merchant: { name: string; category: string }, location: string): Promise<string> {
  const { id } = await staff.supervisor.request<{ id: string }>('POST', '/api/v1/merchants', merchant);
  const { credential } = await staff.supervisor.request<{ credential: string }>('POST', '/api/v1/terminals', { terminalNumber, merchantId: id, mode, location });
  return credential;
}

/** The resident's card, as the bureau records it: approved, personalized with CARD_NUMBER, issued and active. */
async function registerActiveCard(): Promise<void> {
  const body = '31010119880512002';
  const resident = await staff.clerk.request<{ id: string }>('POST', '/api/v1/cardholders', {
    kind: 'resident',
    citizenId: body + citizenIdCheckChar(body),
    fullName: HOLDER,
    birthDate: '1988-05-12',
    address: '88 Huaihai Road, Huangpu District',
  });
  const card = await staff.clerk.request<Card>('POST', `/api/v1/cardholders/${resident.id}/cards`, {});
  await staff.supervisor.request('POST', `/api/v1/cards/${card.id}/approve`, {});
  await staff.clerk.request('POST', `/api/v1/cards/${card.id}/personalized`, { cardNumber: CARD_NUMBER });
  await staff.clerk.request('POST', `/api/v1/cards/${card.id}/issue`, {});
  expect(await staff.clerk.request<Card>('POST', `/api/v1/cards/${card.id}/activate`, {})).toMatchObject({ state: 'active', cardNumber: CARD_NUMBER });
}

/** Resolves with `promise`, or with `undefined` once `ms` passed (a helper that cannot be killed must not hang the suite). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([promise, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-agent-modes-'));
  // The card's first start personalizes it and makes its test city CA, which the backend then trusts.
  const first = await insert('card');
  caCertificatePath = first.caCertificatePath;
  expect(await takeOut(first)).toBe(0);
  mkdirSync(path.join(dir, 'backend'));
  copyFileSync(caCertificatePath, path.join(dir, 'backend', CITY_CA_CERTIFICATE_FILE));

  hsm = await startHsmProcess(path.join(dir, 'hsm'), [{ name: 'kiosk-load', role: 'load' }]);
  // A channel of its own: hotlist pushes of other suites' backends on the same Redis stay out.
  const channelVar = 'CITYCARD_BACKEND_REDIS_HOTLIST_CHANNEL';
  const saved = process.env[channelVar];
  process.env[channelVar] = `citycard:test:agent-modes:${process.pid}`;
  try {
    backend = await startBackendProcess(path.join(dir, 'backend'));
  } finally {
    if (saved === undefined) delete process.env[channelVar];
    else process.env[channelVar] = saved;
  }
  staff = await openBureau(backend);
  await registerActiveCard();
  gateCredential = await registerTerminal(GATE_TERMINAL, 'gate', { name: 'City Metro', category: 'transit' }, 'Line 1, People\'s Square, gate 3');
  posCredential = await registerTerminal(POS_TERMINAL, 'pos', { name: 'Corner shop', category: 'retail' }, '12 Nanjing Road');
  kioskCredential = await registerTerminal(KIOSK_TERMINAL, 'kiosk', { name: 'Huangpu service centre', category: 'public-service' }, 'Hall 1');
  const key = (await (await fetch(new URL('/api/v1/hotlist/public-key', backend.url))).json()) as { publicKey: string };
  hotlistKey = key.publicKey;
});

afterEach(async () => {
  await Promise.allSettled([...running].map((p) => p.stop()));
  running.clear();
});

afterAll(async () => {
  await Promise.allSettled([...running].map((p) => p.stop()));
  // These helpers stop with SIGTERM only (they keep their child to themselves): bounded waits.
  await Promise.allSettled([within(backend?.stop() ?? Promise.resolve(null), 15_000), within(hsm?.stop() ?? Promise.resolve(null), 15_000)]);
  rmSync(dir, { recursive: true, force: true });
});

describe('citycard agent run, gate mode', () => {
  it('charges the flat fare at each tap, stops on SIGTERM with its counters, and uploads both purchases', async () => {
    const dataDir = path.join(dir, 'gate-data');
    const config = writeConfig('gate.json', {
      mode: 'gate',
      dataDir: 'gate-data',
      timeZone: 'Asia/Shanghai',
      backend: { url: backend!.url, hotlistKeys: [hotlistKey] },
      readers: { card: CARD_READER, sam: SAM_READER },
      gate: { fare: { kind: 'flat', amount: FARE } },
      upload: { batchSize: 50, intervalMs: 1000 },
    });
    await insert('psam');
    const agent = runAgent(config, { CITYCARD_TERMINAL_TOKEN: gateCredential });
    await agent.waitFor('stdout', new RegExp(`^SAM open: terminal ${GATE_TERMINAL}$`));

    let card = await insert('card');
    await agent.waitFor('stdout', /^APPROVED ¥2\.00 — balance ¥48\.00$/);
    expect(await takeOut(card)).toBe(0);
    // Back at rest for the next passenger: the status line counts the first tap.
    await agent.waitFor('stdout', new RegExp(`^GATE ${GATE_TERMINAL} · present card · hotlist v\\d+, .* · approved 1 · declined 0 · tap again 0 · collected ¥2\\.00$`));
    card = await insert('card');
    await agent.waitFor('stdout', /^APPROVED ¥2\.00 — balance ¥46\.00$/);
    expect(await takeOut(card)).toBe(0);

    const inbox = await inboxWhenItHolds(GATE_TERMINAL, 2);
    expect(await agent.stop()).toBe(0);
    expect(agent.stdout.filter((l) => l.startsWith('APPROVED'))).toHaveLength(2);
    expect(agent.stdout.filter((l) => l.startsWith('fault') || l.startsWith('TERMINAL FAULT'))).toEqual([]);
    expect(agent.stdout.at(-1)).toBe('taps 2: approved 2, declined 0, tap again 0, collected ¥4.00');
    expect(agent.stdout.at(-2)).toMatch(new RegExp(`^GATE ${GATE_TERMINAL} · stopped · hotlist v\\d+, .* · backlog 0 · approved 2 · declined 0 · tap again 0 · collected ¥4\\.00$`));
    expect(agent.stderr).toEqual([]);
    expect(agent.stdout.join('\n')).not.toContain(gateCredential.split('.')[1]!);

    const stored = storedRecords(dataDir);
    expect(stored.map(({ uploaded_batch: _, ...r }) => r)).toEqual([0, 1].map((i) => ({
      kind: 'purchase', card_number: CARD_NUMBER, counter: stored[0]!.counter + i, terminal: GATE_TERMINAL, ttsn: stored[0]!.ttsn! + i, amount: FARE,
    })));
    expect(inbox).toEqual(stored.map((r) => ({
      batch_id: r.uploaded_batch, kind: r.kind, card_number: r.card_number, counter: r.counter, terminal_number: r.terminal, ttsn: r.ttsn, amount: r.amount,
    })));
  });
});

describe('citycard agent run, POS mode', () => {
  it('charges each amount typed to the card presented, refuses what it cannot sell, and stops at q', async () => {
    const config = writeConfig('pos.json', {
      mode: 'pos',
      dataDir: 'pos-data',
      backend: { url: backend!.url, hotlistKeys: [hotlistKey] },
      readers: { card: CARD_READER, sam: SAM_READER },
      pos: { maxAmount: 5000 },
      upload: { intervalMs: 1000 },
    });
    await insert('psam', POS_TERMINAL);
    const agent = runAgent(config, { CITYCARD_TERMINAL_TOKEN: posCredential }, true);
    await agent.waitFor('stdout', new RegExp(`^POS \\(no SAM\\) · enter amount · `));
    agent.type('12,50');
    await agent.waitFor('stdout', /^amount: "12,50" is not an amount in yuan \(e\.g\. 12\.50\)$/);
    agent.type('60');
    await agent.waitFor('stdout', /^sale refused: the amount must be 1 to 5000 fen, got 6000$/);

    agent.type('12.50');
    await agent.waitFor('stdout', new RegExp(`^SAM open: terminal ${POS_TERMINAL}$`));
    let card = await insert('card');
    const sold = await agent.waitFor('stdout', /^APPROVED ¥12\.50 — balance ¥(\d+)\.(\d\d)$/);
    const balance = Number(sold[1]) * 100 + Number(sold[2]);
    expect(await takeOut(card)).toBe(0);
    agent.type('3');
    card = await insert('card');
    await agent.waitFor('stdout', new RegExp(`^APPROVED ¥3\\.00 — balance ${escape(formatYuan(balance - 300))}$`));
    expect(await takeOut(card)).toBe(0);

    const inbox = await inboxWhenItHolds(POS_TERMINAL, 2);
    agent.type('q');
    expect(await agent.exited).toBe(0);
    expect(agent.stdout.at(-1)).toBe('taps 2: approved 2, declined 0, tap again 0, collected ¥15.50');
    expect(agent.stderr).toEqual([]);
    expect(inbox.map((r) => [r.kind, r.terminal_number, r.amount])).toEqual([
      ['purchase', POS_TERMINAL, 1250],
      ['purchase', POS_TERMINAL, 300],
    ]);
    expect(storedRecords(path.join(dir, 'pos-data')).map((r) => [r.counter, r.ttsn, r.amount, r.uploaded_batch])).toEqual(
      inbox.map((r) => [r.counter, r.ttsn, r.amount, r.batch_id]),
    );
  });
});

describe('citycard agent run, kiosk mode', () => {
  it('serves its page and runs tap, PIN with the backend\'s assertion, purse and a top-up through the HSM', async () => {
    const config = writeConfig('kiosk.json', {
      mode: 'kiosk',
      dataDir: 'kiosk-data',
      backend: { url: backend!.url, hotlistKeys: [hotlistKey] },
      readers: { card: CARD_READER },
      kiosk: { servicePoint: SERVICE_POINT, caCertificate: caCertificatePath, port: 0, hsmSocket: hsm!.socketPath, topUpAmounts: [TOP_UP, 5000] },
      upload: { intervalMs: 1000 },
    });
    const agent = runAgent(config, { CITYCARD_TERMINAL_TOKEN: kioskCredential, CITYCARD_HSM_TOKEN: hsm!.tokens[0]! });
    const [, url] = await agent.waitFor('stderr', /^agent: kiosk: open (http:\/\/127\.0\.0\.1:\d+) in the kiosk's browser$/);
    const call = async (method: 'GET' | 'POST', route: string, body?: unknown): Promise<{ status: number; json: any }> => {
      const headers: Record<string, string> = method === 'POST' ? { 'content-type': 'application/json', 'x-citycard-kiosk': '1' } : {};
      const res = await fetch(new URL(route, url), { method, headers, body: method === 'POST' ? JSON.stringify(body ?? {}) : null });
      return { status: res.status, json: await res.json() };
    };

    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toMatch(/^<!doctype html>/i);

    await insert('card');
    let tapped = await call('POST', '/api/tap');
    // The long poll may end just before the reader reports the card: tap again, as the page does.
    if (tapped.json.waiting === true) tapped = await call('POST', '/api/tap');
    expect(tapped.status).toBe(200);
    expect(tapped.json).toMatchObject({
      phase: 'pin',
      card: { cardNumber: CARD_NUMBER, cardType: 'adult', issuer: 'CityCard Test City CA' },
      pin: { triesLeft: 3, blocked: false },
      offline: false,
      // Services open once the cardholder is confirmed.
      services: { topUp: false, accessLog: false },
      topUpAmounts: [TOP_UP, 5000],
    });

    const wrong = await call('POST', '/api/pin', { pin: WRONG_PIN });
    expect(wrong).toEqual({ status: 403, json: { error: { code: 'PIN_WRONG', message: 'wrong PIN', triesLeft: 2 } } });
    const right = await call('POST', '/api/pin', { pin: RIGHT_PIN });
    expect(right.status).toBe(200);
    expect(right.json).toMatchObject({
      phase: 'ready',
      offline: false,
      holder: { name: HOLDER, servicePoint: SERVICE_POINT, confirmedBy: 'backend' },
      services: { topUp: true, accessLog: true },
    });

    const before = await call('GET', '/api/purse');
    expect(before.status).toBe(200);
    expect(before.json.cardNumber).toBe(CARD_NUMBER);
    const balance = before.json.balance as number;
    const loaded = await call('POST', '/api/top-up', { amount: TOP_UP });
    expect(loaded).toEqual({ status: 200, json: { amount: TOP_UP, balanceBefore: balance, balanceAfter: balance + TOP_UP, confirmed: true } });
    const after = await call('GET', '/api/purse');
    expect(after.json.balance).toBe(balance + TOP_UP);
    expect(after.json.transactions[0]).toMatchObject({ kind: 'load', amount: TOP_UP, terminal: KIOSK_TERMINAL });

    const log = await call('GET', '/api/access-log');
    // Who saw the cardholder's data: this kiosk's identity check, once (a wrong PIN never reached the backend).
    expect(log).toEqual({ status: 200, json: { entries: [{ at: expect.any(String), purpose: 'service', accessor: { kind: 'terminal', terminalNumber: KIOSK_TERMINAL } }] } });
    expect((await call('POST', '/api/end')).json).toMatchObject({ phase: 'idle', ended: 'finished', takeCard: true });

    const inbox = await inboxWhenItHolds(KIOSK_TERMINAL, 1);
    expect(await agent.stop()).toBe(0);
    expect(agent.stderr.at(-1)).toBe('agent: kiosk: stopping');
    expect(agent.stderr.filter((l) => l.startsWith('agent: fault'))).toEqual([]);
    expect(inbox).toEqual([
      { batch_id: expect.any(String), kind: 'load', card_number: CARD_NUMBER, counter: after.json.transactions[0].counter, terminal_number: KIOSK_TERMINAL, ttsn: null, amount: TOP_UP },
    ]);
    const stored = storedRecords(path.join(dir, 'kiosk-data'));
    expect(stored).toEqual([
      { kind: 'load', card_number: CARD_NUMBER, counter: inbox[0]!.counter, terminal: KIOSK_TERMINAL, ttsn: null, amount: TOP_UP, uploaded_batch: inbox[0]!.batch_id },
    ]);
    // The PIN went to the card only.
    const output = [...agent.stdout, ...agent.stderr].join('\n');
    for (const pin of [RIGHT_PIN, WRONG_PIN]) expect(output).not.toContain(pin);
  });
});

// No reader or backend is reached: these run side by side, each stopping its own agent. How each
// problem is worded is agentConfig.test.ts's concern; here, what the command makes of it.
describe.concurrent('citycard agent run, configuration it refuses', () => {
  /**
   * Run the agent on `config` written as JSON; its exit code (null if it had to be stopped after
   * 20 s) and output.
   */
  async function runRefused(name: string, config: unknown, secrets: Record<string, string> = {}): Promise<{ file: string; code: number | null; stdout: string[]; stderr: string[] }> {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(config));
    const agent = runAgent(file, secrets);
    // Not left to afterEach: that would stop the agents of the cases running beside this one.
    running.delete(agent);
    try {
      const code = await within(agent.exited, 20_000);
      return { file, code: code === undefined ? null : code, stdout: agent.stdout, stderr: agent.stderr };
    } finally {
      await agent.stop();
    }
  }

  /** Exit 2, nothing on stdout, and on stderr one line: `line` of the config file's path. */
  async function expectRefused(name: string, config: unknown, line: (file: string) => string, secrets: Record<string, string> = {}): Promise<string[]> {
    const run = await runRefused(name, config, secrets);
    expect(run.code).toBe(EXIT_CANNOT_START);
    expect(run.stdout).toEqual([]);
    expect(run.stderr).toEqual([line(run.file)]);
    return run.stderr;
  }

  it('a gate without its fare', async () => {
    await expectRefused('no-fare.json', { mode: 'gate' }, (file) => `agent: bad configuration: ${file}: gate: required in gate mode (at least { "fare": { "kind": "flat", "amount": <fen> } })`);
  });

  it('a terminal credential written into the file, which is never echoed', async () => {
    const stderr = await expectRefused(
      'with-credential.json',
      { mode: 'gate', backend: { url: 'http://127.0.0.1:8080', hotlistKeys: [hotlistKey], credential: gateCredential }, gate: { fare: { kind: 'flat', amount: FARE } } },
      (file) => `agent: bad configuration: ${file}: backend.credential: secrets are not read from the file; set CITYCARD_TERMINAL_TOKEN in the environment`,
      { CITYCARD_TERMINAL_TOKEN: gateCredential },
    );
    const secret = gateCredential.split('.')[1]!;
    expect(stderr.join('\n')).not.toContain(secret);
  });

  it('several problems at once: each on its own line under the file\'s', async () => {
    const run = await runRefused('two-problems.json', { mode: 'gate', gate: { fare: { kind: 'flat', amount: 0 } }, risk: { whenStale: 'sometimes' } });
    expect(run.code).toBe(EXIT_CANNOT_START);
    expect(run.stderr).toEqual([
      `agent: bad configuration: ${run.file}:`,
      '  - gate.fare.amount: Too small: expected number to be >=1',
      '  - risk.whenStale: Invalid option: expected one of "refuse"|"allowUpToCap"|"allowUpToStaleCap"',
    ]);
  });

  it('a kiosk that loads cards without the HSM token in the environment', async () => {
    await expectRefused(
      'kiosk-no-hsm-token.json',
      { mode: 'kiosk', backend: { url: 'http://127.0.0.1:8080' }, kiosk: { servicePoint: SERVICE_POINT, caCertificate: caCertificatePath, hsmSocket: path.join(dir, 'hsm.sock') } },
      (file) => `agent: bad configuration: ${file}: CITYCARD_HSM_TOKEN: set it to a load client token of the HSM (kiosk.hsmSocket is set)`,
      { CITYCARD_TERMINAL_TOKEN: kioskCredential },
    );
  });
});

/** Fen as the agent prints them: 4550 → `¥45.50`. */
function formatYuan(fen: number): string {
  return `¥${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
