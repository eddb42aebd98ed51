/**
 * `citycard backend …`: serve the API, add a staff account, write the OpenAPI document.
 * Settings come from flags, then CITYCARD_BACKEND_* variables, then defaults (see config.ts).
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { createApp } from './app.js';
import { ConfigError, type ConfigInput, type BackendConfig, loadConfig } from './config.js';
import { type Db, openDatabase } from './data/db.js';
import { MigrationError, migrate } from './data/migrate.js';
import { StaffExistsError } from './domain/staff/errors.js';
import { type Role, ROLES, isRole } from './domain/staff/roles.js';
import { SYSTEM_ACTOR } from './domain/staff/staffAccounts.js';
import { openApiDocument } from './http/openApi.js';
import { formatAuditChainReport, verifyAuditChainFile } from './domain/audit/index.js';
import { runLedgerCheck } from './domain/ledger/index.js';
import { join } from 'node:path';
import { DB_FILE } from './data/db.js';
import { startServer } from './http/server.js';
import { BACKEND_API_VERSION } from './http/systemRoutes.js';
import { addClearingCommands } from './queue/clearingCli.js';
import { ClearingSetupError, clearingPipelineOf, startEmbeddedClearing } from './queue/clearingRuntime.js';
import { type ClearingSettingsInput, loadClearingSettings } from './queue/clearingSettings.js';

function parseRole(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
  return value;
}

/** Prints an expected failure as one line with a failing exit code; rethrows anything else. */
async function report(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof MigrationError || err instanceof StaffExistsError || err instanceof ClearingSetupError)) throw err;
    console.error(`citycard backend: ${err.message}`);
    process.exitCode = 1;
  }
}

function openMigrated(config: BackendConfig): Db {
  const db = openDatabase(config.dataDir);
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

async function serve(flags: Partial<ConfigInput>, clearingFlags: Partial<ClearingSettingsInput> = {}): Promise<void> {
  const config = loadConfig(process.env, flags);
  const clearingSettings = loadClearingSettings(process.env, clearingFlags);
  const logger = pino({ name: 'citycard-backend', level: config.logLevel }, pino.destination(2));
  const db = openMigrated(config);
  const clearing = clearingPipelineOf({ db, logger, redisUrl: config.redisUrl, settings: clearingSettings });
  const { app, context } = createApp({ config, db, logger, clearing });
  const clearingWorker = await startEmbeddedClearing(context, clearingSettings, process.env).catch(async (err: unknown) => {
    await clearing.close();
    db.close();
    throw err;
  });
  const oneTime = await context.staff.bootstrapAdmin();
  if (oneTime !== undefined) {
    // Shown once on the console, never logged: whoever started the server hands it to the admin.
    process.stdout.write(`backend: created staff account 'admin' with one-time password ${oneTime}\n` + 'backend: sign in and change it now; it is not shown again\n');
  }
  const server = await startServer(app, { host: config.host, port: config.port, graceSeconds: config.shutdownGraceSeconds, logger, onClosed: () => db.close() }).catch(async (err: unknown) => {
    await clearingWorker?.close();
    await clearing.close();
    db.close();
    throw err;
  });
  console.log(`backend: listening on ${server.url} (data ${config.dataDir})`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // End the terminals' hotlist streams and the Redis connections first, so the server's grace
  // period is not spent waiting on long-lived streams.
  await context.terminalServices.close();
  await clearingWorker?.close();
  await clearing.close();
  await server.close();
  console.log('backend: stopped');
}

/** The `backend` command tree (the lead mounts it under `citycard`). */
export function backendCommand(): Command {
  const backend = new Command('backend').description('the card bureau backend: staff, cardholders, card lifecycle, hotlist, identity');

  backend
    .command('serve')
    .description('serve the HTTP API (first start creates `admin` and prints its one-time password)')
    .option('--port <n>', 'TCP port (default 8080, env CITYCARD_BACKEND_PORT)')
    .option('--host <addr>', 'bind address (default 127.0.0.1, env CITYCARD_BACKEND_HOST)')
    .option('--data-dir <dir>', 'data directory (default .citycard/backend, env CITYCARD_BACKEND_DATA_DIR)')
    .option('--log-level <level>', 'pino level (default info, env CITYCARD_BACKEND_LOG_LEVEL)')
    .option('--clearing-worker <mode>', 'embedded: clear uploads in this process; off: leave it to clearing-worker processes (default embedded, env CITYCARD_CLEARING_WORKER)')
    .option('--hsm-socket <path>', 'unix socket of the HSM for the embedded clearing worker (env CITYCARD_HSM_SOCKET; token CITYCARD_HSM_TOKEN)')
    .action((o: { port?: string; host?: string; dataDir?: string; logLevel?: string; clearingWorker?: string; hsmSocket?: string }) =>
      report(() =>
        serve(
          { port: o.port, host: o.host, dataDir: o.dataDir, logLevel: o.logLevel as ConfigInput['logLevel'] },
          { worker: o.clearingWorker as ClearingSettingsInput['worker'], hsmSocket: o.hsmSocket },
        ),
      ),
    );

  const staff = backend.command('staff').description('staff accounts');
  staff
    .command('add')
    .description('create a staff account and print its one-time password once')
    .requiredOption('--username <name>', 'user name (a-z first, then a-z 0-9 . _ -, 3..32)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, parseRole)
    .option('--display-name <text>', 'name shown in the console')
    .option('--data-dir <dir>', 'data directory (default .citycard/backend, env CITYCARD_BACKEND_DATA_DIR)')
    .action((o: { username: string; role: Role; displayName?: string; dataDir?: string }) =>
      report(async () => {
        if (!/^[a-z][a-z0-9._-]{2,31}$/.test(o.username)) throw new ConfigError('a user name has 3..32 characters: a-z first, then a-z, 0-9, . _ -');
        const config = loadConfig(process.env, { dataDir: o.dataDir });
        const db = openMigrated(config);
        try {
          const { context } = createApp({ config, db });
          const { oneTimePassword } = await context.staff.create({ username: o.username, displayName: o.displayName ?? o.username, role: o.role }, SYSTEM_ACTOR);
          console.log(`backend: created ${o.role} '${o.username}' with one-time password ${oneTimePassword}`);
        } finally {
          db.close();
        }
      }),
    );

  backend
    .command('audit')
    .description('the hash-chained audit log')
    .command('verify')
    .description('prove the audit chain; exit code 1 names the first broken entry')
    .option('--data-dir <dir>', 'backend data directory', loadConfig({}).dataDir)
    .action((o: { dataDir: string }) => {
      const { text, exitCode } = formatAuditChainReport(verifyAuditChainFile(join(o.dataDir, DB_FILE)));
      console.log(text);
      process.exitCode = exitCode;
    });

  backend
    .command('ledger')
    .description('the double-entry ledger')
    .command('check')
    .description('check the conservation invariant (loads - purchases - refunds = float, debits = credits); exit code 1 when it does not hold')
    .option('--data-dir <dir>', 'backend data directory', loadConfig({}).dataDir)
    .action((o: { dataDir: string }) => {
      const { text, exitCode } = runLedgerCheck(o.dataDir);
      console.log(text);
      process.exitCode = exitCode;
    });

  backend
    .command('openapi')
    .description('write the OpenAPI document (docs/openapi.json is kept up to date by a test)')
    .requiredOption('--out <file>', 'file to write')
    .action((o: { out: string }) =>
      report(async () => {
        writeFileSync(o.out, openApiText());
      }),
    );
  addClearingCommands(backend);
  return backend;
}

/** The OpenAPI document of every route, as the text kept in docs/openapi.json. */
export function openApiText(): string {
  const db = openDatabase(':memory:');
  try {
    migrate(db);
    const { registry } = createApp({ config: loadConfig({}), db });
    return `${JSON.stringify(openApiDocument(registry, BACKEND_API_VERSION), null, 2)}\n`;
  } finally {
    db.close();
  }
}
