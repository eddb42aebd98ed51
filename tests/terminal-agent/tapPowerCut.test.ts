/**
 * Power cuts of the terminal agent, for real: a child process (tapPowerCutChild.fixture.ts) taps
 * cards in a loop, its cards, PSAM and record store all kept in files, and is killed with SIGKILL
 * at seeded random moments (after a seeded number of taps, plus a few ms), or kills itself at the
 * three instants that matter most (intent written; DEBIT run by the card, answer unread; record
 * stored). It is restarted on the same files, again and again: at least 2,000 taps and 50 kills
 * over two independent terminals run side by side.
 *
 * At the end the pending intents are settled with the cards, and the store is compared with each
 * card's own truth: every debit the card made (its offline counter) is stored exactly once, no
 * record is without a debit (every TAC verifies), the balance is conserved (start − stored
 * purchases = card balance), and the card's log (its last 10 purchases) matches the records.
 *
 * The child runs without fsync (SQLite `synchronous = OFF`, FileStore `sync: false`): SIGKILL
 * ends the process, not the machine, and the OS keeps every write. Durability across an OS crash
 * is SQLite's and the FileStore's own guarantee with fsync on (card-os storageCrash tests).
 *
 * The child's TypeScript is bundled once with esbuild (the transformer under tsx) and started
 * with plain node: some fifty starts under tsx cost about 0.6 s of CPU each, bundled 0.1 s.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore } from '@citycard/card-os';
import { InProcessAdapter } from '@citycard/terminal-agent';
import { type PurchaseRecord, purchaseTacRequestOf } from '../../terminal-agent/src/purse/index.js';
import { RecordStore } from '../../terminal-agent/src/store/index.js';
import { settleIntents } from '../../terminal-agent/src/tap/index.js';
import { prng } from '../card-os/support/seededRandom.js';
import { type TestHsm, makeTestHsm } from '../hsm-sim/fixtures.js';
import {
  DIE_POINTS,
  type DiePoint,
  RUN_SPACING_MS,
  TAP_TIME,
  TEST_RECOVERY_WINDOW_MS,
  cardDir,
  cardTruth,
  channelOf,
  epCard,
  psamCard,
  psamDir,
  storeFile,
} from './tapRig.fixture.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = join(HERE, '..', '..');
const CHILD_SOURCE = join(HERE, 'tapPowerCutChild.fixture.ts');
const SEED = 0x7a9;
const LANES = 2;
const CARDS = 3;
const START_BALANCE = 100_000;
const TERMINAL = '000000000021';
/** Per lane: together at least 2,000 taps and 50 kills. */
const MIN_TAPS_PER_LANE = 1_000;
const MIN_KILLS_PER_LANE = 25;

const cardNumberOf = (index: number): string => `100000000000020${index}`;

interface RunPlan {
  /** The parent kills the child this long after its `killAfterTaps`-th finished tap. */
  readonly killAfterTaps: number;
  readonly killDelayMs: number;
  /** Tap (0-based) inside which the child kills itself at `diePoint`; -1: never. */
  readonly dieAt: number;
  readonly diePoint: DiePoint;
}

interface RunResult {
  readonly taps: number;
  readonly outcomes: readonly string[];
  readonly died: DiePoint | undefined;
}

/**
 * A child process of one run. It loads its modules at once but opens no file until `go()`, so the
 * next run can start up while the previous one still taps.
 */
class ChildRun {
  readonly done: Promise<RunResult>;
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly #plan: RunPlan;
  #going = false;

  constructor(dir: string, lane: number, run: number, plan: RunPlan) {
    this.#plan = plan;
    const args = [dir, String(CARDS), String(SEED + lane), String(run), String(plan.dieAt), plan.diePoint];
    this.#child = spawn(process.execPath, [childBundle, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.done = this.#watch(`lane ${lane} run ${run}`);
  }

  /** Let the child open the files and tap. */
  go(): void {
    this.#going = true;
    this.#child.stdin.write('go\n');
  }

  /** End a child that was never let go. */
  discard(): Promise<unknown> {
    this.#child.kill('SIGKILL');
    return this.done.catch(() => undefined);
  }

  #watch(label: string): Promise<RunResult> {
    const child = this.#child;
    return new Promise((resolve, reject) => {
      const outcomes: string[] = [];
      let died: DiePoint | undefined;
      let pending = '';
      let err = '';
      let killScheduled = false;
      child.stdin.on('error', () => undefined);
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => (err += chunk));
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const lines = (pending + chunk).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith('tap ')) outcomes.push(line.slice(4));
          else if (line.startsWith('die ')) died = line.slice(4) as DiePoint;
        }
        if (this.#going && !killScheduled && outcomes.length >= this.#plan.killAfterTaps) {
          killScheduled = true;
          setTimeout(() => child.kill('SIGKILL'), this.#plan.killDelayMs);
        }
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`${label}: child ended by itself (code ${code}, signal ${signal}): ${err}`));
        else resolve({ taps: outcomes.length, outcomes, died });
      });
    });
  }
}

interface LaneResult {
  readonly dir: string;
  readonly taps: number;
  readonly kills: number;
  readonly died: readonly DiePoint[];
  readonly outcomes: Readonly<Record<string, number>>;
  readonly finalTime: Date;
}

/** Personalize the lane's cards and PSAM, then run, kill and restart the child until the lane has its taps and kills. */
async function runLane(lane: number): Promise<LaneResult> {
  const dir = mkdtempSync(join(tmpdir(), `citycard-tap-powercut-${lane}-`));
  for (let i = 0; i < CARDS; i++) {
    const store = FileStore.open(cardDir(dir, i));
    epCard(store, cardNumberOf(i), START_BALANCE, i);
    store.close();
  }
  const psamStore = FileStore.open(psamDir(dir));
  psamCard(psamStore, TERMINAL);
  psamStore.close();

  const next = prng(SEED * 31 + lane);
  const pick = (n: number): number => next() % n;
  let taps = 0;
  let run = 0;
  const died: DiePoint[] = [];
  const outcomes: Record<string, number> = {};
  const planOf = (n: number): RunPlan => {
    const killAfterTaps = 20 + pick(80);
    // Every other run plans a self-kill at one of the three instants, in turn.
    const selfKill = n % 2 === 0;
    return {
      killAfterTaps,
      killDelayMs: pick(4),
      dieAt: selfKill ? pick(killAfterTaps) : -1,
      diePoint: DIE_POINTS[(n >> 1) % DIE_POINTS.length]!,
    };
  };
  let child = new ChildRun(dir, lane, run, planOf(run));
  for (;;) {
    child.go();
    const upNext = new ChildRun(dir, lane, run + 1, planOf(run + 1));
    const result = await child.done;
    taps += result.taps;
    for (const kind of result.outcomes) outcomes[kind] = (outcomes[kind] ?? 0) + 1;
    if (result.died !== undefined) died.push(result.died);
    run++;
    if (taps >= MIN_TAPS_PER_LANE && run >= MIN_KILLS_PER_LANE) {
      await upNext.discard();
      break;
    }
    child = upNext;
  }
  return { dir, taps, kills: run, died, outcomes, finalTime: new Date(TAP_TIME.getTime() + run * RUN_SPACING_MS) };
}

let hsm: TestHsm;
let childBundle: string;
const dirs: string[] = [];
beforeAll(async () => {
  hsm = makeTestHsm();
  const out = mkdtempSync(join(tmpdir(), 'citycard-tap-powercut-child-'));
  dirs.push(out);
  childBundle = join(out, 'child.mjs');
  const require = createRequire(import.meta.url);
  await build({
    entryPoints: [CHILD_SOURCE],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: childBundle,
    logLevel: 'warning',
    plugins: [
      {
        // A native module stays outside the bundle, imported from where this repository has it.
        name: 'native-modules',
        setup(builder) {
          builder.onResolve({ filter: /^better-sqlite3$/ }, (args) => ({ path: pathToFileURL(require.resolve(args.path)).href, external: true }));
        },
      },
    ],
  });
});
afterAll(() => {
  hsm.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('taps across SIGKILL of the terminal agent', () => {
  it('never loses or double-counts a payment', { timeout: 60_000 }, async () => {
    const lanes = await Promise.all(Array.from({ length: LANES }, (_, lane) => runLane(lane)));
    dirs.push(...lanes.map((l) => l.dir));

    const taps = lanes.reduce((n, l) => n + l.taps, 0);
    const kills = lanes.reduce((n, l) => n + l.kills, 0);
    expect(taps).toBeGreaterThanOrEqual(2_000);
    expect(kills).toBeGreaterThanOrEqual(50);
    const died = lanes.flatMap((l) => l.died);
    for (const point of DIE_POINTS) expect(died.filter((p) => p === point).length, `self-kills ${point}`).toBeGreaterThanOrEqual(3);
    const outcomes: Record<string, number> = {};
    for (const lane of lanes) for (const [kind, n] of Object.entries(lane.outcomes)) outcomes[kind] = (outcomes[kind] ?? 0) + n;
    // The torn taps were asked again and recovered (as well as those the kills tore).
    expect(outcomes['approved'] ?? 0).toBeGreaterThan(taps / 2);
    expect(outcomes['tapAgain'] ?? 0).toBeGreaterThan(0);
    expect(outcomes['recovered'] ?? 0).toBeGreaterThan(0);

    for (const lane of lanes) await checkLaneAgainstCards(lane);
  });
});

/** Settle what the last kill left pending, then compare the store with each card's own truth. */
async function checkLaneAgainstCards(lane: LaneResult): Promise<void> {
  const store = new RecordStore(storeFile(lane.dir));
  const all: PurchaseRecord[] = [];
  try {
    for (let i = 0; i < CARDS; i++) {
      const cardNumber = cardNumberOf(i);
      const label = `${lane.dir} card ${cardNumber}`;
      const cardStore = FileStore.open(cardDir(lane.dir, i));
      try {
        const slot = new InProcessAdapter(epCard(cardStore, cardNumber, START_BALANCE, 99), 'card');
        await slot.powerOn();
        const card = channelOf(slot, () => lane.finalTime);
        const settled = await settleIntents({ card, store, clock: () => lane.finalTime, recoveryWindowMs: TEST_RECOVERY_WINDOW_MS }, cardNumber);
        expect(settled.interrupted, label).toBeUndefined();
        expect(settled.unrecoverable, label).toEqual([]);

        const truth = await cardTruth(card);
        const records = store.purchases(cardNumber);
        // Every debit exactly once: the card's counter went 0, 1, ... and each step has one record.
        expect(records.map((r) => r.offlineCounter), `${label}: one record per debit`).toEqual(Array.from({ length: truth.offlineCounter }, (_, n) => n));
        const spent = records.reduce((sum, r) => sum + r.amount, 0);
        expect(START_BALANCE - spent, `${label}: balance conservation`).toBe(truth.balance);
        const newestFirst = records.slice(-10).reverse();
        expect(
          newestFirst.map((r) => [r.offlineCounter, r.amount, r.terminal, r.date, r.time]),
          `${label}: the card's log`,
        ).toEqual(truth.purchases.map((p) => [p.counter, p.amount, p.terminal, p.date, p.time]));
        all.push(...records);
      } finally {
        cardStore.close();
      }
    }
    expect(store.pendingIntents()).toEqual([]);
    expect(store.unrecoverableIntents()).toEqual([]);
    expect(store.count()).toBe(all.length);
    // No record without a debit: each carries the card's TAC over its amount, terminal, TTSN and time.
    const verdicts = await hsm.as('clearing').verifyPurchaseTacs(all.map(purchaseTacRequestOf));
    expect(verdicts.filter((ok) => !ok)).toHaveLength(0);
    expect(all.length).toBeGreaterThan(lane.taps / 2);
  } finally {
    store.close();
  }
}
