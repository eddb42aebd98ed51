import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateRecordError } from './errors.js';
import { readProcess } from './proc.js';

/**
 * Runs `fn` holding an exclusive lock file, so that two `stack up`/`down` (say a test run and the
 * demo) never both start pcscd. A lock left by a dead process is taken over.
 * @throws StateRecordError when another live process holds the lock for longer than waitMs.
 */
export async function withLock<T>(lockFile: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    // Written aside and hard-linked into place, so the lock never exists without its PID.
    const tmp = `${lockFile}.${process.pid}`;
    await writeFile(tmp, String(process.pid));
    try {
      await link(tmp, lockFile);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StateRecordError(`cannot create lock ${lockFile}`, { cause: err });
      }
    } finally {
      await rm(tmp, { force: true });
    }
    const holder = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
    if (!Number.isInteger(holder) || (await readProcess(holder)) === undefined) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new StateRecordError(`${lockFile} is held by process ${holder}; another citycard stack command is running`);
    }
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}
