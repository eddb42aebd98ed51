/**
 * Test kit for the bureau console: a backend on port 0 over a temp data directory, staff accounts
 * with known passwords, and headless Debian Chromium driven by playwright-core (never downloaded).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { type BackendApp, createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import type { Role } from '../../backend/src/domain/staff/roles.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots land here (gitignored), one folder per suite. */
export function artifactDir(suite: string): string {
  const dir = fileURLToPath(new URL(`../../test-artifacts/${suite}/`, import.meta.url));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface ConsoleBackend {
  built: BackendApp;
  server: RunningServer;
  dataDir: string;
  close(): Promise<void>;
}

export async function startConsoleBackend(): Promise<ConsoleBackend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'citycard-console-'));
  const db = openDatabase(dataDir);
  migrate(db);
  const built = createApp({ config: loadConfig({}), db });
  const server = await startServer(built.app, { host: '127.0.0.1', port: 0, graceSeconds: 1, logger: pino({ level: 'silent' }), onClosed: () => db.close() });
  return {
    built,
    server,
    dataDir,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates an account; answers its id and one-time password. */
export async function createStaff(backend: ConsoleBackend, username: string, role: Role): Promise<{ id: string; oneTimePassword: string }> {
  const { staff, oneTimePassword } = await backend.built.context.staff.create({ username, displayName: `${role} ${username}`, role }, 'system');
  return { id: staff.id, oneTimePassword };
}

/** Creates an account whose password is already its own (no first-login change); answers its id. */
export async function createReadyStaff(backend: ConsoleBackend, username: string, role: Role, password: string): Promise<string> {
  const { id, oneTimePassword } = await createStaff(backend, username, role);
  await backend.built.context.staff.changePassword({ id, username, role }, oneTimePassword, password);
  return id;
}

export interface ConsoleBrowser {
  context: BrowserContext;
  page: Page;
  userDataDir: string;
  close(): Promise<void>;
}

/** Chromium with a fresh profile (a new user data dir); collects page errors and CSP violations into `problems`. */
export async function openConsoleBrowser(problems: string[]): Promise<ConsoleBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'citycard-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text())) problems.push(`console error: ${msg.text()}`);
  });
  return {
    context,
    page,
    userDataDir,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
