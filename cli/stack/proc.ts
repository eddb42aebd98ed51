import { accessSync, constants as fsConstants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessRecord } from './record.js';

/** sbin directories are often missing from a normal user's PATH, yet pcscd and ip live there. */
const EXTRA_BIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];

/** Absolute path of an executable found in PATH or the sbin directories, or undefined. */
export function findBinary(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env['PATH'] ?? '').split(path.delimiter).filter((d) => d !== ''), ...EXTRA_BIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

export interface ProcessInfo {
  readonly argv: readonly string[];
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  readonly startTime: string;
  /** Field 3 of /proc/<pid>/stat: R, S, D, Z, ... */
  readonly state: string;
}

/**
 * Parses the text of /proc/<pid>/stat into its state and start time.
 * @returns undefined when the text is not a stat line.
 */
export function parseStat(stat: string): Pick<ProcessInfo, 'state' | 'startTime'> | undefined {
  // comm (field 2) may contain spaces and parentheses, so fields are counted after the last ')'.
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = stat.slice(close + 2).split(' ');
  const state = rest[0];
  const startTime = rest[19];
  return state === undefined || state === '' || startTime === undefined ? undefined : { state, startTime };
}

/** Reads /proc/<pid>; undefined when there is no such process. */
export async function readProcess(pid: number): Promise<ProcessInfo | undefined> {
  try {
    const [cmdline, stat] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    const parsed = parseStat(stat);
    return parsed === undefined ? undefined : { argv: cmdline.split('\0').filter((a) => a !== ''), ...parsed };
  } catch {
    return undefined;
  }
}

/**
 * Program name of a process: basename of the first word of argv[0]. The first word, because
 * redis-server rewrites its title to "redis-server 127.0.0.1:6379" in a single argument.
 */
export function programName(argv: readonly string[]): string | undefined {
  const first = argv[0]?.split(' ')[0];
  return first === undefined || first === '' ? undefined : path.basename(first);
}

/** True when the process exists, is not a zombie, and has that program name. */
export async function isRunningProgram(pid: number, program: string): Promise<boolean> {
  const info = await readProcess(pid);
  return info !== undefined && info.state !== 'Z' && programName(info.argv) === program;
}

/**
 * True when the recorded process still runs: same PID, same start time, same program.
 * Anything else means it exited and the PID may now belong to someone else.
 */
export async function isRecordedProcessAlive(record: ProcessRecord): Promise<boolean> {
  const info = await readProcess(record.pid);
  return (
    info !== undefined &&
    info.state !== 'Z' &&
    info.startTime === record.startTime &&
    programName(info.argv) === record.program
  );
}

/**
 * Sends SIGTERM to a recorded process and waits for it to exit.
 * @returns true when it exited (or was already gone) within timeoutMs, false otherwise.
 */
export async function terminateRecorded(record: ProcessRecord, timeoutMs: number): Promise<boolean> {
  if (!(await isRecordedProcessAlive(record))) return true;
  try {
    process.kill(record.pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    throw err;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(50);
    if (!(await isRecordedProcessAlive(record))) return true;
  }
  return false;
}
