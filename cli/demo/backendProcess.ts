/**
 * The card bureau backend as its own process for the demo: first start prints the `admin`
 * one-time password; `ApiSession` is a minimal JSON client with a staff or terminal token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../stack/paths.js';

export interface BackendProcess {
  readonly url: string;
  /** Printed once on first start. */
  readonly adminOneTimePassword: string;
  stop(): Promise<number | null>;
}

export async function startBackendProcess(dataDir: string): Promise<BackendProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin', 'citycard.js'), 'backend', 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (c: string) => stderr.push(c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let password = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not start: ${stderr.join('')}`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const otp = /one-time password (\S+)/.exec(line);
      if (otp) password = otp[1]!;
      const listening = /listening on (http:\/\/\S+)/.exec(line);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`backend exited with code ${code}: ${stderr.join('').trim()}`));
    });
  });
  return {
    url,
    adminOneTimePassword: password,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** An error answer of the API: `{ error: { code, message } }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
  }
}

export class ApiSession {
  constructor(
    readonly baseUrl: string,
    readonly token: string | undefined = undefined,
  ) {}

  /** Log a staff member in; a first login with a one-time password sets `newPassword`. */
  static async staff(baseUrl: string, username: string, password: string, newPassword: string): Promise<ApiSession> {
    const anonymous = new ApiSession(baseUrl);
    const login = await anonymous.request<{ token: string; staff: { mustChangePassword: boolean } }>('POST', '/api/v1/auth/login', { username, password });
    const session = new ApiSession(baseUrl, login.token);
    if (login.staff.mustChangePassword) {
      await session.request('POST', '/api/v1/auth/password', { currentPassword: password, newPassword });
    }
    return session;
  }

  async request<T = unknown>(method: string, route: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers['authorization'] = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(new URL(route, this.baseUrl), { method, headers, body: body === undefined ? null : JSON.stringify(body) });
    const text = await res.text();
    const json = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiError(res.status, err?.code ?? 'ERROR', err?.message ?? res.statusText);
    }
    return json as T;
  }
}
