/**
 * Run `citycard card serve` as a child process, the way a virtual card runs beside a terminal:
 * wait until it is serving, learn its CA certificate path, stop it with SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../stack/paths.js';

export interface CardProcessOptions {
  readonly stateDir: string;
  readonly port: number;
  /** Card number (citizen card) or terminal number (PSAM) of the test profile. */
  readonly cardNumber: string;
  /** `card serve` (default) or `psam serve`. */
  readonly kind?: 'card' | 'psam';
  /** Serve a blank card or PSAM, to be personalized through the HSM. */
  readonly blank?: boolean;
  readonly host?: string;
  /** Purse balance at issue in fen (first start only). */
  readonly balance?: number;
  /** How long to wait for "serving" (first start generates an RSA key), ms; default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface CardProcess {
  readonly child: ChildProcess;
  /** The test CA's certificate path as printed (cards only; blank cards print a note instead). */
  readonly caCertificatePath: string;
  /** SIGTERM, then wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startCardProcess(options: CardProcessOptions): Promise<CardProcess> {
  const kind = options.kind ?? 'card';
  const args = [
    path.join(REPO_ROOT, 'bin', 'citycard.js'),
    kind, 'serve',
    '--port', String(options.port),
    kind === 'card' ? '--card-number' : '--terminal-number', options.cardNumber,
    '--state-dir', options.stateDir,
    '--log-level', 'warn',
  ];
  if (options.blank === true) args.push('--blank');
  if (options.host !== undefined) args.push('--host', options.host);
  if (options.balance !== undefined) args.push('--balance', String(options.balance));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const caCertificatePath = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`virtual card did not start within ${options.readyTimeoutMs ?? 30_000} ms: ${stderr.join('')}`));
    }, options.readyTimeoutMs ?? 30_000);
    let serving = false;
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (line.includes('serving on vpcd')) serving = true;
      const ca = /^city CA certificate: (.+)$/.exec(line);
      if (serving && (ca || kind === 'psam')) {
        clearTimeout(timer);
        resolve(ca?.[1] ?? '');
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`virtual card exited with code ${code}: ${stderr.join('').trim()}`));
    });
  });

  return {
    child,
    caCertificatePath,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
