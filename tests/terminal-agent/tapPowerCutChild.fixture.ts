/**
 * Child process of tapPowerCut.test.ts: a terminal agent that taps cards in a loop until it is
 * killed. Its cards and PSAM are card-os cards whose state is a FileStore in `<dir>`, its record
 * store is `<dir>/records.sqlite`; everything it knows survives only through those files.
 *
 * Each tap picks a card and an amount from a PRNG seeded by (seed, run); some taps lose the card
 * at a random APDU (the passenger pulls it away). When told to (`<die-at>` ≥ 0), the child
 * SIGKILLs itself inside tap number `<die-at>` at `<die-point>`: right after the intent is written,
 * right after the card ran DEBIT (before its answer is read), or right after the record is stored.
 * The parent kills it at random instants otherwise.
 *
 * The child loads its modules, prints `loaded` and waits for a line on stdin before it opens any
 * file: the parent starts the next run while the previous one still taps, and lets it go once the
 * previous process is dead (a card's state directory takes one process at a time).
 *
 * stdout, one line each: `loaded`, `ready`, then `tap <outcome kind>` per finished tap, `die
 * <point>` just before a self-kill.
 *
 * Usage: node --import tsx tapPowerCutChild.fixture.ts <dir> <cards> <seed> <run> <die-at> <die-point>
 * (the test runs it bundled, with plain node).
 */
import { writeSync } from 'node:fs';
// Narrow imports (not the packages' indexes): the child is started some fifty times.
import { epApplication } from '../../card-os/src/applications/ep/epApplication.js';
import { psamApplication } from '../../card-os/src/applications/psam/psamApplication.js';
import { FileStore } from '../../card-os/src/storage/fileStore.js';
import { VirtualCard } from '../../card-os/src/virtualCard.js';
import { openPsamSlot } from '../../terminal-agent/src/purse/purchaseOffline.js';
import { RecordStore } from '../../terminal-agent/src/store/recordStore.js';
import { processTap } from '../../terminal-agent/src/tap/processTap.js';
import type { TapStore } from '../../terminal-agent/src/tap/tapContext.js';
import { InProcessAdapter } from '../../terminal-agent/src/transport/inProcessAdapter.js';
import type { CardTransport } from '../../terminal-agent/src/transport/cardTransport.js';
import { prng, seededRandom } from '../card-os/support/seededRandom.js';
import {
  CutSlot,
  type DiePoint,
  RUN_SPACING_MS,
  TAP_TIME,
  TEST_RECOVERY_WINDOW_MS,
  TIME_ZONE,
  cardDir,
  channelOf,
  psamDir,
  storeFile,
} from './tapCut.fixture.js';

const INS_DEBIT = 0x54;

function say(line: string): void {
  writeSync(1, `${line}\n`);
}

function die(point: DiePoint): never {
  say(`die ${point}`);
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself ends the process before kill() returns; never go on regardless.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}

async function main(args: readonly string[]): Promise<void> {
  const [dir, cardsArg, seedArg, runArg, dieAtArg, diePointArg] = args;
  if (dir === undefined || diePointArg === undefined) throw new Error('usage: <dir> <cards> <seed> <run> <die-at> <die-point>');
  const cards = Number(cardsArg);
  const run = Number(runArg);
  const dieAt = Number(dieAtArg);
  const diePoint = diePointArg as DiePoint;
  say('loaded');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const next = prng(Number(seedArg) * 7919 + run);
  const pick = (n: number): number => next() % n;

  // No fsync: the parent kills the process, not the machine (the OS keeps what was written).
  const cardStores = Array.from({ length: cards }, (_, i) => FileStore.open(cardDir(dir, i), { sync: false, compactAfterBytes: 16_384 }));
  const epCards = cardStores.map((store, i) => new VirtualCard({ store, applications: [epApplication], random: seededRandom(run * 100 + i) }));
  const psamStore = FileStore.open(psamDir(dir), { sync: false, compactAfterBytes: 16_384 });
  const psamSlot = new InProcessAdapter(new VirtualCard({ store: psamStore, applications: [psamApplication] }), 'psam');
  const records = new RecordStore(storeFile(dir), { sync: false });

  let tapIndex = 0;
  const now = (): Date => new Date(TAP_TIME.getTime() + run * RUN_SPACING_MS + tapIndex * 1000);
  const dying = (point: DiePoint): boolean => tapIndex === dieAt && diePoint === point;
  const store: TapStore = {
    writeIntent: (pending, at) => {
      const id = records.writeIntent(pending, at);
      if (dying('afterIntent')) die('afterIntent');
      return id;
    },
    completeIntent: (id, record, at) => {
      const stored = records.completeIntent(id, record, at);
      if (dying('afterRecord')) die('afterRecord');
      return stored;
    },
    resolveIntent: (id, how, detail, at) => records.resolveIntent(id, how, detail, at),
    expireIntents: (before, detail, at) => records.expireIntents(before, detail, at),
    pendingIntents: (cardNumber) => records.pendingIntents(cardNumber),
  };

  const reader = new InProcessAdapter(undefined, 'card');
  const cut = new CutSlot(reader);
  const cardSlot: CardTransport = {
    name: 'card',
    powerOn: () => cut.powerOn(),
    isPresent: () => cut.isPresent(),
    close: () => cut.close(),
    transmit: async (command) => {
      const response = await cut.transmit(command);
      if (command[1] === INS_DEBIT && dying('afterDebit')) die('afterDebit');
      return response;
    },
  };
  const card = channelOf(cardSlot, now);
  const psam = channelOf(psamSlot, now);
  await psamSlot.powerOn();
  const psamTerminal = await openPsamSlot(psam);
  say('ready');

  for (;;) {
    const which = pick(cards);
    const amount = 1 + pick(60);
    const pullsAway = pick(6) === 0;
    const pullAt = pick(10);
    const pullMode = pick(2) === 0 ? 'before' : 'answerLost';
    if (await reader.isPresent()) reader.remove();
    reader.insert(epCards[which]!);
    await reader.powerOn();
    if (pullsAway) cut.cutAt(pullAt, pullMode);
    else cut.disarm();
    const outcome = await processTap(
      { card, psam, psamTerminal, store, clock: now, timeZone: TIME_ZONE, recoveryWindowMs: TEST_RECOVERY_WINDOW_MS },
      { kind: 'flat', amount },
    );
    say(`tap ${outcome.kind}`);
    tapIndex++;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
