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
  readonly cardNumber: string;
  readonly host?: string;
  /** How long to wait for "serving" (first start generates an RSA key), ms; default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface CardProcess {
  readonly child: ChildProcess;
  readonly caCertificatePath: string;
  /** SIGTERM, then wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function startCardProcess(options: CardProcessOptions): Promise<CardProcess> {
  const args = [
    path.join(REPO_ROOT, 'bin', 'citycard.js'),
    'card', 'serve',
    '--port', String(options.port),
    '--card-number', options.cardNumber,
    '--state-dir', options.stateDir,
    '--log-level', 'warn',
  ];
  if (options.host !== undefined) args.push('--host', options.host);
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
      if (serving && ca) {
        clearTimeout(timer);
        resolve(ca[1]!);
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
