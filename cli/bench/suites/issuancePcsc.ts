/**
 * Batch issuance through the real PC/SC stack, everything a bureau station does per card: claim
 * the job from the backend (HTTP), personalize the blank card in vpcd slot 0 through pcscd with
 * every key-bearing command prepared by the HSM (its own process on a unix socket), the city CA
 * signing the card's certificate, and the completion report that registers the card. A feeder
 * child process holds the card and puts a fresh blank one in the slot before each job.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { HsmClient } from '@citycard/hsm-sim';
import { PcscAdapter, type StationCustodian } from '@citycard/terminal-agent';
import { createApp } from '../../../backend/src/app.js';
import { loadConfig } from '../../../backend/src/config.js';
import { openDatabase } from '../../../backend/src/data/db.js';
import { migrate } from '../../../backend/src/data/migrate.js';
import { CardholderRegistry } from '../../../backend/src/domain/cardholders/index.js';
import { CardLifecycle } from '../../../backend/src/domain/cards/index.js';
import { IssuanceJobs } from '../../../backend/src/domain/issuance/index.js';
import { startServer } from '../../../backend/src/http/server.js';
import { HttpIssuanceQueue, type IssuanceQueue, runIssuanceBatch } from '../../../terminal-agent/src/bureau/index.js';
import { startHsmProcess } from '../../demo/hsmProcess.js';
import { VPCD_PORT_CARD, VPCD_READER_NAMES } from '../../stack/constants.js';
import { stackDown, stackUp } from '../../stack/index.js';
import type { BenchSection } from '../report.js';
import { fmtMs, msSince, summarize } from '../stats.js';

const WARMUP = 10;
const SAMPLES = 200;
const PASSWORD = 'bench station passphrase';
const FEEDER = fileURLToPath(new URL('./issuanceBlankCard.ts', import.meta.url));

/** Time spent inside the wrapped object's async methods, in ms. */
function timed<T extends object>(target: T, total: { ms: number }): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const start = process.hrtime.bigint();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
        } finally {
          total.ms += msSince(start);
        }
      };
    },
  });
}

/** A valid citizen ID (ISO 7064 MOD 11-2 check digit) with sequence number `n`, 0-999. */
function citizenId(n: number): string {
  const body = `11010519800101${String(n).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  return body + '10X98765432'[sum % 11]!;
}

interface Feeder {
  /** Puts a new blank card with chip serial number `csn` (16 hex digits) in the slot. */
  blank(csn: string): Promise<void>;
  stop(): Promise<void>;
}

async function startFeeder(port: number): Promise<Feeder> {
  const child = spawn(process.execPath, ['--import', 'tsx', FEEDER, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(line));
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`blank card feeder did not answer: ${stderr.join('')}`)), 30_000);
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  const ready = await next();
  if (ready !== 'ready') throw new Error(`blank card feeder said ${ready}`);
  return {
    async blank(csn) {
      const answer = next();
      child.stdin!.write(`blank ${csn}\n`);
      if ((await answer) !== `blank ${csn}`) throw new Error('blank card feeder did not make the card');
    },
    async stop() {
      child.stdin!.end();
      await exited;
    },
  };
}

export async function benchIssuancePcsc(): Promise<BenchSection> {
  const stack = await stackUp();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-bench-issuance-'));
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  try {
    const hsm = await startHsmProcess(path.join(dir, 'hsm'), [{ name: 'bench-bureau', role: 'bureau' }]);
    cleanups.push(() => hsm.stop());
    const client = await HsmClient.connect({ address: { path: hsm.socketPath }, token: hsm.tokens[0]! });
    cleanups.push(() => client.close());

    const db = openDatabase(path.join(dir, 'backend'));
    migrate(db);
    const built = createApp({ config: loadConfig({}), db });
    const server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
    cleanups.push(() => server.close());
    const { staff, oneTimePassword } = await built.context.staff.create({ username: 'station1', displayName: 'station', role: 'clerk' }, 'system');
    await built.context.staff.changePassword(staff, oneTimePassword, PASSWORD);
    const token = (await built.context.sessions.login('station1', PASSWORD, '127.0.0.1')).token;

    // Setup, not timed: the cardholders, their approved cards and one batch of jobs.
    const registry = new CardholderRegistry(db, built.context.audit);
    const cards = new CardLifecycle(db, built.context.audit);
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const holder = registry.enroll({ kind: 'resident', fullName: 'Zhang San', citizenId: citizenId(i), birthDate: '1980-01-01', address: 'Shinan' }, 'bench');
      const card = cards.applyForCard(holder.id, { id: 'bench', roles: ['clerk'] });
      cards.approve(card.id, { actor: { id: 'bench-sup', roles: ['supervisor'] } });
    }
    const { batchId } = new IssuanceJobs(db, built.context.audit).createBatch(WARMUP + SAMPLES, { id: 'bench', role: 'clerk' });

    const feeder = await startFeeder(VPCD_PORT_CARD);
    cleanups.push(() => feeder.stop());
    const reader = await PcscAdapter.open(VPCD_READER_NAMES[0]!);
    cleanups.push(() => reader.close());
    await reader.waitForCard(5000);

    const hsmTime = { ms: 0 };
    const backendTime = { ms: 0 };
    const custodian: StationCustodian = timed(client, hsmTime);
    const queue: IssuanceQueue = timed(new HttpIssuanceQueue({ baseUrl: server.url, token, station: 'bench-station' }), backendTime);
    const perCard: number[] = [];
    let cardStart = process.hrtime.bigint();
    let runStart = cardStart;
    let hsmAtStart = 0;
    let backendAtStart = 0;
    let fed = 0;
    const result = await runIssuanceBatch({
      queue,
      custodian,
      count: WARMUP + SAMPLES,
      maxConsecutiveFailures: 1,
      blankCard: async () => {
        await feeder.blank(`CAFE${(++fed).toString(16).toUpperCase().padStart(12, '0')}`);
        return reader;
      },
      onOutcome: (outcome, progress) => {
        if (outcome.kind !== 'done') throw new Error(`card ${progress.done + progress.failed} not issued: ${JSON.stringify(outcome)}`);
        const finished = progress.done;
        if (finished > WARMUP) perCard.push(msSince(cardStart));
        if (finished === WARMUP) {
          runStart = process.hrtime.bigint();
          hsmAtStart = hsmTime.ms;
          backendAtStart = backendTime.ms;
        }
        cardStart = process.hrtime.bigint();
      },
    });
    const elapsedMs = msSince(runStart);
    const progress = new IssuanceJobs(db, built.context.audit).progress(batchId);
    if (result.done !== WARMUP + SAMPLES || progress.done !== WARMUP + SAMPLES) {
      throw new Error(`batch incomplete: ${JSON.stringify(result)} ${JSON.stringify(progress)}`);
    }
    const cardsPerHour = Math.round((SAMPLES * 3_600_000) / elapsedMs);
    const s = summarize(perCard);
    const hsmShare = ((hsmTime.ms - hsmAtStart) / elapsedMs) * 100;
    const backendShare = ((backendTime.ms - backendAtStart) / elapsedMs) * 100;
    return {
      title: 'Batch personalization through pcscd + vpcd (issue 4)',
      method:
        'One station (this process) in bureau mode: per card it claims the job from the backend over HTTP (express + SQLite WAL, in this process), ' +
        'personalizes the blank card in vpcd slot 0 through pcscd (INITIALIZE, EXTERNAL AUTHENTICATE, 4 PUT KEY, PIN/PUK, card info, cardholder, purse ' +
        'limits and issuer data, on-card RSA-2048 GENERATE KEY PAIR, certificate, END PERSONALIZATION) with every secured command built by the HSM ' +
        '(`citycard hsm serve`, test profile, its own process on a unix socket, bureau client) and the certificate signed by its city CA, then reports ' +
        'CSN and certificate so the backend marks the card personalized. A feeder process puts a fresh blank card (in-memory store) in the slot before each job. ' +
        `${SAMPLES} cards after ${WARMUP} warm-up.`,
      rows: [
        { metric: 'Cards per hour, one station', value: cardsPerHour.toLocaleString('en-US'), target: '≥ 10,000', met: cardsPerHour >= 10_000 },
        { metric: 'Per card: p50 / p99 / max', value: `${fmtMs(s.medianMs)} / ${fmtMs(s.p99Ms)} / ${fmtMs(s.maxMs)} ms`, target: '≤ 360 ms mean', met: elapsedMs / SAMPLES <= 360 },
        { metric: 'Share of time waiting on the HSM / on the backend', value: `${hsmShare.toFixed(0)} % / ${backendShare.toFixed(0)} %`, target: '' },
      ],
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    if (stack.started.length > 0) await stackDown({ only: stack.started });
  }
}
