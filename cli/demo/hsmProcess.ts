/**
 * Run the key custodian the way a city runs it: its own process on a unix socket, clients with
 * their own credentials and roles. For the demo and the benchmarks: the test profile (fixed test
 * LMK components and the specification's test keys).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../stack/paths.js';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'bin', 'citycard.js');

export type HsmRole = 'admin' | 'bureau' | 'load' | 'clearing' | 'terminal';

export interface HsmProcess {
  readonly socketPath: string;
  /** One token per requested client, in the order asked. */
  readonly tokens: readonly string[];
  stop(): Promise<number | null>;
}

/**
 * Initialise (first time) a test-profile HSM kept in `dataDir`, register the given clients (fresh
 * names each run: tokens are shown once), and serve it on `<dataDir>/hsm.sock`.
 */
export async function startHsmProcess(
  dataDir: string,
  clients: ReadonlyArray<{ name: string; role: HsmRole }>,
): Promise<HsmProcess> {
  if (!existsSync(path.join(dataDir, 'hsm.sqlite'))) {
    await run(process.execPath, [CLI, 'hsm', 'init', '--profile', 'test', '--data-dir', dataDir]);
  }
  const tokens: string[] = [];
  for (const { name, role } of clients) tokens.push(await addClient(dataDir, name, role));
  const socketPath = path.join(dataDir, 'hsm.sock');
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'hsm', 'serve', '--profile', 'test', '--data-dir', dataDir, '--socket', socketPath],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`HSM did not start: ${stderr.join('')}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('hsm: listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`HSM exited with code ${code}: ${stderr.join('').trim()}`));
    });
  });
  return {
    socketPath,
    tokens,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

async function addClient(dataDir: string, name: string, role: HsmRole): Promise<string> {
  const unique = `${name}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const { stdout } = await run(process.execPath, [
    CLI, 'hsm', 'client', 'add', '--profile', 'test', '--data-dir', dataDir, '--name', unique, '--role', role,
  ]);
  const token = stdout.trim().split('\n').pop()!;
  if (!token.startsWith(`${unique}.`)) throw new Error('unexpected output of hsm client add');
  return token;
}
