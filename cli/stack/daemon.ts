import { spawn } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StartFailedError } from './errors.js';
import { programName, readProcess } from './proc.js';
import type { ProcessRecord } from './record.js';

/** A daemon just spawned by us, detached from the CLI, with its output appended to a log file. */
export interface SpawnedDaemon {
  readonly record: ProcessRecord;
  /** Set once the process has exited (while this CLI still runs). */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/**
 * Starts `binary args…` in its own session so it outlives the CLI (detached + unref).
 * @throws StartFailedError when the process cannot be spawned or is gone at once.
 */
export async function spawnDaemon(
  component: string,
  binary: string,
  args: readonly string[],
  log: string,
): Promise<SpawnedDaemon> {
  await mkdir(path.dirname(log), { recursive: true });
  const fd = openSync(log, 'a');
  let pid: number | undefined;
  const state: { exit: SpawnedDaemon['exit']; error: Error | undefined } = { exit: undefined, error: undefined };
  try {
    writeSync(fd, `--- ${new Date().toISOString()} citycard stack: ${binary} ${args.join(' ')}\n`);
    const child = spawn(binary, [...args], { detached: true, stdio: ['ignore', fd, fd] });
    child.once('error', (err) => (state.error = err));
    child.once('exit', (code, signal) => (state.exit = { code, signal }));
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(fd);
  }
  const info = pid === undefined ? undefined : await readProcess(pid);
  if (pid === undefined || info === undefined) {
    const why = state.error?.message ?? 'exited at once';
    throw new StartFailedError(component, `${component} did not start: ${why}${await logTail(log)}`, {
      cause: state.error,
    });
  }
  const record: ProcessRecord = {
    pid,
    program: programName(info.argv) ?? path.basename(binary),
    startTime: info.startTime,
    log,
    startedAt: new Date().toISOString(),
  };
  return {
    record,
    get exit() {
      return state.exit;
    },
  };
}

/**
 * Polls `ready` every 100 ms until it holds.
 * @returns 'ready', 'exited' when the daemon exited first, or 'timeout' after timeoutMs.
 */
export async function waitReady(
  daemon: SpawnedDaemon,
  ready: () => Promise<boolean>,
  timeoutMs: number,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return 'ready';
    if (daemon.exit !== undefined) return 'exited';
    if (Date.now() >= deadline) return 'timeout';
    await sleep(100);
  }
}

/** The last lines of a log, formatted to append to an error message ('' when empty or unreadable). */
export async function logTail(log: string, lines = 8): Promise<string> {
  try {
    const text = (await readFile(log, 'utf8')).trimEnd();
    if (text === '') return '';
    return `\n--- last lines of ${log}:\n${text.split('\n').slice(-lines).join('\n')}`;
  } catch {
    return '';
  }
}
