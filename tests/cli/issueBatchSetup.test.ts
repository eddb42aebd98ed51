/**
 * `bureau issue-batch` refuses to start, with exit code 2 and one line saying what to fix, before
 * any job is claimed (cli/issuance/issueBatch.ts, stationSetup.ts). The backend is a stub that
 * answers who a token signs in as; nothing here needs the HSM or a reader.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CANNOT_START, type IssueBatchOptions, issueBatch } from '../../cli/issuance/issueBatch.js';

const CLERK_TOKEN = 'clerk-session';
const SUPERVISOR_TOKEN = 'supervisor-session';
/** Well formed (`NAME.SECRET`, a 32-byte secret), for an HSM that is not there. */
const HSM_TOKEN = `station-1.${Buffer.alloc(32, 0x5a).toString('base64url')}`;

let server: Server;
let backend: string;
let dir: string;
/** Routes the stub was asked for: a station that cannot start must never claim. */
const asked: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-station-setup-'));
  server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    const role = { [`Bearer ${CLERK_TOKEN}`]: 'clerk', [`Bearer ${SUPERVISOR_TOKEN}`]: 'supervisor' }[req.headers.authorization ?? ''];
    res.setHeader('content-type', 'application/json');
    if (req.url !== '/api/v1/auth/me' || role === undefined) {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'sign in first' } }));
      return;
    }
    res.end(JSON.stringify({ id: 'id-1', username: `${role}.wang`, role, mustChangePassword: false }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  backend = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function options(overrides: Partial<IssueBatchOptions> = {}): IssueBatchOptions {
  return {
    count: 1,
    backend,
    station: 'station-1',
    reader: 'Virtual PCD 00 00',
    hsmSocket: path.join(dir, 'no-hsm.sock'),
    queue: false,
    swapCards: true,
    cardTimeout: 1,
    ...overrides,
  };
}

async function run(opts: IssueBatchOptions, credentials: Record<string, string>): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await issueBatch(opts, credentials, { isTTY: false, write: (chunk: string) => (text += chunk) });
  return { code, text };
}

describe('bureau issue-batch that cannot start', () => {
  it('names the missing credential', async () => {
    expect(await run(options(), {})).toEqual({ code: EXIT_CANNOT_START, text: 'bureau: set CITYCARD_BACKEND_TOKEN to a clerk session token\n' });
    expect(await run(options(), { CITYCARD_BACKEND_TOKEN: CLERK_TOKEN })).toEqual({
      code: EXIT_CANNOT_START,
      text: 'bureau: set CITYCARD_HSM_TOKEN to a bureau client token of the HSM\n',
    });
    expect(await run(options({ hsmSocket: undefined }), { CITYCARD_BACKEND_TOKEN: CLERK_TOKEN, CITYCARD_HSM_TOKEN: HSM_TOKEN })).toEqual({
      code: EXIT_CANNOT_START,
      text: 'bureau: give --hsm-socket (or CITYCARD_HSM_SOCKET)\n',
    });
  });

  it('refuses a token the backend does not accept, or one of a role that does not feed card readers', async () => {
    expect(await run(options(), { CITYCARD_BACKEND_TOKEN: 'expired', CITYCARD_HSM_TOKEN: HSM_TOKEN })).toEqual({
      code: EXIT_CANNOT_START,
      text: 'bureau: the backend refused GET /api/v1/auth/me (401): sign in first\n',
    });
    expect(await run(options(), { CITYCARD_BACKEND_TOKEN: SUPERVISOR_TOKEN, CITYCARD_HSM_TOKEN: HSM_TOKEN })).toEqual({
      code: EXIT_CANNOT_START,
      text: 'bureau: CITYCARD_BACKEND_TOKEN signs in as supervisor.wang (supervisor); a station works as a clerk\n',
    });
  });

  it('says which HSM it cannot reach', async () => {
    const socket = path.join(dir, 'no-hsm.sock');
    expect(await run(options(), { CITYCARD_BACKEND_TOKEN: CLERK_TOKEN, CITYCARD_HSM_TOKEN: HSM_TOKEN })).toEqual({
      code: EXIT_CANNOT_START,
      text: `bureau: cannot use the HSM at ${socket}: cannot reach the HSM at unix:${socket}\n`,
    });
  });

  it('never claimed a job', () => {
    expect(asked.filter((route) => !route.endsWith('/api/v1/auth/me'))).toEqual([]);
  });
});
