/**
 * A card bureau for tests of `citycard bureau issue-batch`, set up the way the demo does it: the
 * HSM and the backend as their own processes (cli/demo helpers), staff signed in, residents
 * enrolled with approved cards and issuance jobs; the command itself run as a child process
 * while the test plays the operator on each line it prints.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { DB_FILE } from '../../backend/src/data/db.js';
import { IssuanceJobRepository } from '../../backend/src/data/issuanceJobRepository.js';
import { citizenIdCheckChar } from '../../backend/src/domain/cardholders/index.js';
import type { CardPersonalization } from '../../backend/src/domain/issuance/index.js';
import { type BackendProcess, startBackendProcess } from '../../cli/demo/backendProcess.js';
import { type BureauStaff, type Card, openBureau } from '../../cli/demo/bureau.js';
import { type HsmProcess, startHsmProcess } from '../../cli/demo/hsmProcess.js';
import { REPO_ROOT } from '../../cli/stack/paths.js';

const CLI = path.join(REPO_ROOT, 'bin', 'citycard.js');

export interface BureauStation {
  readonly hsm: HsmProcess;
  readonly backend: BackendProcess;
  readonly staff: BureauStaff;
  /** HSM client token of the station (bureau role), for the command. */
  readonly stationToken: string;
  /** HSM client token the test reads the city CA with. */
  readonly checkerToken: string;
  /** Data directory of the backend (its database is read, never written, by the tests). */
  readonly backendDir: string;
  stop(): Promise<void>;
}

/** An approved card of a new resident, queued for issuance. */
export interface QueuedCard {
  readonly cardId: string;
  readonly jobId: string;
  readonly cardNumber: string;
  readonly fullName: string;
}

export async function startBureauStation(dir: string): Promise<BureauStation> {
  const hsm = await startHsmProcess(path.join(dir, 'hsm'), [
    { name: 'station', role: 'bureau' },
    { name: 'checker', role: 'bureau' },
  ]);
  let backend: BackendProcess;
  try {
    backend = await startBackendProcess(path.join(dir, 'backend'));
  } catch (err) {
    await hsm.stop();
    throw err;
  }
  const stop = async (): Promise<void> => {
    await Promise.allSettled([backend.stop(), hsm.stop()]);
  };
  try {
    const staff = await openBureau(backend);
    return { hsm, backend, staff, stationToken: hsm.tokens[0]!, checkerToken: hsm.tokens[1]!, backendDir: path.join(dir, 'backend'), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

let residents = 0;

/** Enroll a resident named `fullName`, apply for a card, approve it and queue its issuance job. */
export async function queueCard(staff: BureauStaff, fullName: string): Promise<QueuedCard> {
  const body = `31010119880512${String(++residents).padStart(3, '0')}`;
  const resident = await staff.clerk.request<{ id: string }>('POST', '/api/v1/cardholders', {
    kind: 'resident',
    citizenId: body + citizenIdCheckChar(body),
    fullName,
    birthDate: '1988-05-12',
    address: '88 Huaihai Road, Huangpu District',
  });
  const applied = await staff.clerk.request<Card>('POST', `/api/v1/cardholders/${resident.id}/cards`, {});
  await staff.supervisor.request<Card>('POST', `/api/v1/cards/${applied.id}/approve`, {});
  const job = await staff.clerk.request<{ id: string; cardNumber: string }>('POST', '/api/v1/issuance/jobs', { cardId: applied.id });
  return { cardId: applied.id, jobId: job.id, cardNumber: job.cardNumber, fullName };
}

/** The backend's record of the card's personalization (CSN and certificate), read from its database. */
export function personalizationOf(station: BureauStation, cardId: string): CardPersonalization | undefined {
  const db = new Database(path.join(station.backendDir, DB_FILE), { readonly: true });
  try {
    return new IssuanceJobRepository(db).personalizationOf(cardId);
  } finally {
    db.close();
  }
}

export interface CommandRun {
  readonly code: number | null;
  /** stderr, line by line. */
  readonly lines: readonly string[];
  readonly stdout: string;
}

/**
 * Run `citycard bureau issue-batch <args>` with the station's credentials, stderr a pipe (not a
 * TTY). `onLine` sees each stderr line as it comes, one at a time: the operator's reactions.
 */
export async function runIssueBatch(
  station: BureauStation,
  args: readonly string[],
  onLine: (line: string) => Promise<void> | void = () => undefined,
): Promise<CommandRun> {
  const child = spawn(process.execPath, [CLI, 'bureau', 'issue-batch', '--backend', station.backend.url, '--hsm-socket', station.hsm.socketPath, ...args], {
    env: { ...process.env, CITYCARD_BACKEND_TOKEN: station.staff.clerk.token, CITYCARD_HSM_TOKEN: station.stationToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  let reactions: Promise<void> = Promise.resolve();
  let reactionError: unknown;
  createInterface({ input: child.stderr! }).on('line', (line) => {
    lines.push(line);
    reactions = reactions.then(() => onLine(line)).catch((err: unknown) => {
      reactionError ??= err;
    });
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  await reactions;
  if (reactionError !== undefined) throw reactionError;
  return { code, lines, stdout };
}
