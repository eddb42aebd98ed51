/**
 * Real crashes: a child process commits a = b = n in a tight loop and is killed with SIGKILL at a
 * random moment, several rounds on the same state directory. After each kill the state must open,
 * keep a = b, hold at least the last n the child reported as committed (at most one more: the
 * commit in flight), and never go backwards.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileStore } from '../../card-os/src/storage/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = join(HERE, '..', '..');
const CHILD = join(HERE, 'fixtures', 'storageKillChild.ts');
const ROUNDS = 12;

const workDirs: string[] = [];
afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

interface RoundResult {
  start: number;
  lastReported: number;
}

/** Run the child until it has committed at least once, let it run `extraMs` more, then SIGKILL it. */
function runAndKill(dir: string, sync: 'on' | 'off', extraMs: number): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, sync], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let killScheduled = false;
    let start = -1;
    let lastReported = -1;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (err += chunk));
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('start ')) start = Number(line.slice(6));
        else lastReported = Number(line);
      }
      if (!killScheduled && lastReported >= 0) {
        killScheduled = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`child ended by itself (code ${code}, signal ${signal}): ${err}`));
        return;
      }
      resolve({ start, lastReported });
    });
  });
}

describe('state survives SIGKILL of a committing process', () => {
  it(`keeps a = b and every reported commit over ${ROUNDS} kills`, { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'citycard-kill-'));
    workDirs.push(dir);
    let previous = 0;
    let totalCommits = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const sync = round % 2 === 0 ? 'off' : 'on';
      const { start, lastReported } = await runAndKill(dir, sync, Math.floor(Math.random() * 60));
      const label = `round ${round} (sync ${sync}, started at ${start}, last reported ${lastReported})`;
      expect(start, `${label}: child saw the previous state`).toBe(previous);

      const store = FileStore.open(dir);
      const a = store.get('a');
      const b = store.get('b');
      store.close();
      expect(a, label).toBeDefined();
      expect(b, label).toEqual(a);
      const n = Number(a?.readBigUInt64BE(0));
      expect(n, `${label}: no reported commit lost`).toBeGreaterThanOrEqual(lastReported);
      expect(n, `${label}: at most the commit in flight added`).toBeLessThanOrEqual(lastReported + 1);
      expect(n, `${label}: never backwards`).toBeGreaterThanOrEqual(previous);
      totalCommits += n - previous;
      previous = n;
    }
    expect(totalCommits).toBeGreaterThan(ROUNDS);
  });
});
