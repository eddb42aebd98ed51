/**
 * The HSM as a separate process: `init`, `client add` and `serve` run as real child processes
 * (the same entry as `citycard hsm`), and a client talks to the server over its unix socket.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '@citycard/protocols';
import { measureHsm, testProfileTacChecks } from '../../hsm-sim/src/bench/measureHsm.js';
import { HsmClient } from '../../hsm-sim/src/client/hsmClient.js';
import { LOAD_CHECK, LOAD_MAC2, PURCHASE_CHECK } from './fixtures.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = join('hsm-sim', 'src', 'bin.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hsmProcess(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: 'pipe' });
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = hsmProcess(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `serve` and resolves once it prints its listening line. */
function startServer(args: string[]): Promise<{ child: ChildProcess; line: string; exited: Promise<Run> }> {
  return new Promise((resolve, reject) => {
    const child = hsmProcess(['serve', ...args]);
    let stdout = '';
    let stderr = '';
    const exited = new Promise<Run>((done) => child.on('close', (code) => done({ code, stdout, stderr })));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('hsm: listening on'));
      if (line !== undefined) resolve({ child, line, exited });
    });
    void exited.then((r) => reject(new Error(`serve exited with ${r.code}: ${r.stderr}`)));
  });
}

describe('`hsm serve` as its own process', () => {
  let dir: string;
  let dataDir: string;
  let socket: string;
  let clearingToken: string;
  let loadToken: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citycard-hsm-proc-'));
    dataDir = join(dir, 'hsm');
    socket = join(dir, 'hsm.sock');
    const init = await run(['init', '--data-dir', dataDir, '--profile', 'test']);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('(profile test, LMK check value 21EB60)');
    expect(init.stdout).toMatch(/MTK:01 purse-master kcv D332BF/);
    const clearing = await run(['client', 'add', '--data-dir', dataDir, '--profile', 'test', '--name', 'clearing-1', '--role', 'clearing']);
    expect(clearing.code, clearing.stderr).toBe(0);
    clearingToken = clearing.stdout.trim();
    const load = await run(['client', 'add', '--data-dir', dataDir, '--profile', 'test', '--name', 'load-1', '--role', 'load']);
    loadToken = load.stdout.trim();
    expect(clearingToken).toMatch(/^clearing-1\.[A-Za-z0-9_-]{43}$/);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start without the LMK components', async () => {
    const none = await run(['serve', '--data-dir', dataDir, '--socket', socket]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('dual control: 2 or more LMK components are required, got 0');
    expect(existsSync(socket)).toBe(false);
  }, 30_000);

  it('refuses a non-loopback address', async () => {
    const open = await run(['serve', '--data-dir', dataDir, '--profile', 'test', '--host', '0.0.0.0', '--port', '0']);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('loopback only');
  }, 30_000);

  it('serves clients over a unix socket (mode 0600), stops on SIGTERM, and leaves an intact audit log', async () => {
    const { child, line, exited } = await startServer(['--data-dir', dataDir, '--profile', 'test', '--socket', socket]);
    try {
      expect(line).toBe(`hsm: listening on unix:${socket} (profile test, LMK check value 21EB60)`);
      expect(statSync(socket).mode & 0o777).toBe(0o600);
      const clearing = await HsmClient.connect({ address: { path: socket }, token: clearingToken });
      const load = await HsmClient.connect({ address: { path: socket }, token: loadToken });
      try {
        const mac2 = await load.verifyLoadMac1AndIssueMac2(LOAD_CHECK);
        expect(mac2.ok && toHex(mac2.mac2)).toBe(toHex(LOAD_MAC2));
        expect(await clearing.verifyPurchaseTac(PURCHASE_CHECK)).toBe(true);
        const checks = testProfileTacChecks(1000, 10);
        expect((await clearing.verifyPurchaseTacs(checks)).filter((ok) => !ok).length).toBe(100);
        await expect(clearing.verifyLoadMac1AndIssueMac2(LOAD_CHECK)).rejects.toMatchObject({ name: 'HsmForbiddenError' });
      } finally {
        await clearing.close();
        await load.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    const done = await exited;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('hsm: stopped');
    expect(existsSync(socket)).toBe(false);
    const audit = await run(['audit', 'verify', '--data-dir', dataDir, '--profile', 'test']);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/^hsm: audit log intact, \d+ entries/);
  }, 60_000);

  it('measures batch TAC throughput and single-command latency over the socket (reported, not asserted)', async () => {
    const { child, exited } = await startServer(['--data-dir', dataDir, '--profile', 'test', '--socket', socket]);
    try {
      const clearing = await HsmClient.connect({ address: { path: socket }, token: clearingToken, callTimeoutMs: 60_000 });
      try {
        const result = await measureHsm(clearing, { batchSize: 50_000, batches: 4, latencySamples: 2000 });
        console.log(
          `hsm-sim over a unix socket: ${result.tacsPerSecond} TACs/s in batches of ${result.batchSize}; ` +
            `verifyPurchaseTac latency p50 ${result.latencyP50Ms.toFixed(3)} ms, p99 ${result.latencyP99Ms.toFixed(3)} ms, ` +
            `max ${result.latencyMaxMs.toFixed(3)} ms over ${result.latencySamples} calls`,
        );
        expect(result.tacsPerSecond).toBeGreaterThan(0);
      } finally {
        await clearing.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect((await exited).code).toBe(0);
  }, 120_000);
});

describe('`hsm` with custodian components from files and the environment', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'citycard-hsm-lmk-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('initialises from two components with their KCVs, and refuses to open with one missing or mistyped', async () => {
    const c1 = await run(['lmk-component', '--out', join(dir, 'c1.hex')]);
    const c2 = await run(['lmk-component', '--out', join(dir, 'c2.hex')]);
    const kcv1 = c1.stdout.trim();
    const kcv2 = c2.stdout.trim();
    expect(kcv1).toMatch(/^[0-9A-F]{6}$/);
    expect(statSync(join(dir, 'c1.hex')).mode & 0o777).toBe(0o600);
    const env = { CUSTODIAN_2: readFileSync(join(dir, 'c2.hex'), 'utf8').trim() };
    const dataDir = join(dir, 'hsm');
    const sources = ['--lmk', `${kcv1}@file:${join(dir, 'c1.hex')}`, '--lmk', `${kcv2}@env:CUSTODIAN_2`];
    const init = await run(['init', '--data-dir', dataDir, ...sources], env);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('profile production');

    const ok = await run(['client', 'list', '--data-dir', dataDir, ...sources], env);
    expect(ok.code, ok.stderr).toBe(0);
    const missing = await run(['client', 'list', '--data-dir', dataDir, '--lmk', `${kcv1}@file:${join(dir, 'c1.hex')}`], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('dual control');
    const mistyped = await run(['client', 'list', '--data-dir', dataDir, '--lmk', `${kcv1}@file:${join(dir, 'c1.hex')}`, '--lmk', `000000@env:CUSTODIAN_2`], env);
    expect(mistyped.code).toBe(1);
    expect(mistyped.stderr).toContain('LMK component 2 does not match its check value 000000');
    const testLmk = await run(['client', 'list', '--data-dir', dataDir, '--profile', 'test']);
    expect(testLmk.code).toBe(1);
    expect(testLmk.stderr).toContain('is not the one this HSM was initialised with');
  }, 60_000);
});
