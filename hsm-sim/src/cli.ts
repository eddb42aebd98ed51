/**
 * `citycard hsm …`: initialise, serve, manage clients, check the audit log, make LMK components.
 *
 * LMK components are given one per `--lmk KCV@file:PATH` or `--lmk KCV@env:NAME` (two or more,
 * each with its custodian's check value), or by `--profile test` (the fixed public test
 * components). Without them the HSM does not start.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { type Role, ROLES, isRole } from './auth/roles.js';
import { type HsmCore } from './core/hsmCore.js';
import { OPERATOR, initHsm, openHsm } from './core/openHsm.js';
import { BindAddressError, HsmError, HsmStoreError, LmkError } from './errors.js';
import { type LmkComponent, lmkCheckValue } from './lmk/component.js';
import { readLmkComponents } from './lmk/sources.js';
import { testLmkComponents } from './lmk/testComponents.js';
import { FilePinMailer } from './personalization/pinMailer.js';
import { HsmServer } from './server/hsmServer.js';
import { type ListenAddress } from './server/listenAddress.js';

interface LmkOptions {
  dataDir: string;
  profile?: 'test';
  lmk: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected 0..65535');
  return port;
}

function parseSeconds(value: string): number {
  const s = Number(value);
  if (!Number.isInteger(s) || s < 1 || s > 86_400) throw new InvalidArgumentError('expected 1..86400 seconds');
  return s;
}

function parseRole(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
  return value;
}

function withLmkOptions(command: Command): Command {
  return command
    .requiredOption('--data-dir <dir>', 'HSM data directory')
    .addOption(new Option('--profile <profile>', 'use the fixed test LMK components').choices(['test']))
    .option('--lmk <KCV@file:PATH|KCV@env:NAME>', 'one LMK component with its check value (repeat, two or more)', collect, []);
}

function components(o: LmkOptions): LmkComponent[] {
  if (o.profile === 'test') {
    if (o.lmk.length > 0) throw new LmkError('--profile test uses the fixed test components; do not also give --lmk');
    return testLmkComponents();
  }
  return readLmkComponents(o.lmk);
}

/** Prints an expected failure as one line and sets a failing exit code; rethrows anything else. */
async function report(work: () => Promise<void> | void): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!(err instanceof LmkError || err instanceof HsmStoreError || err instanceof HsmError || err instanceof BindAddressError)) throw err;
    console.error(`citycard hsm: ${err.message}`);
    process.exitCode = 1;
  }
}

function withCore(o: LmkOptions, work: (core: HsmCore) => void): Promise<void> {
  return report(() => {
    const core = openHsm({ dataDir: o.dataDir, components: components(o) });
    try {
      work(core);
    } finally {
      core.close();
    }
  });
}

function serveAddress(o: { socket?: string; port?: number; host: string }): ListenAddress {
  if (o.socket !== undefined && o.port !== undefined) throw new BindAddressError('give --socket or --port, not both');
  if (o.socket !== undefined) return { path: o.socket };
  if (o.port !== undefined) return { host: o.host, port: o.port };
  throw new BindAddressError('give --socket PATH or --port N');
}

async function serve(o: LmkOptions & { socket?: string; port?: number; host: string; sessionTimeout: number }): Promise<void> {
  const address = serveAddress(o);
  const logger = pino({ name: 'citycard-hsm' }, pino.destination(2));
  const core = openHsm({
    dataDir: o.dataDir,
    components: components(o),
    pinMailer: new FilePinMailer(join(o.dataDir, 'pin-mailers')),
    sessions: { idleTimeoutMs: o.sessionTimeout * 1000 },
  });
  let server: HsmServer;
  try {
    server = await HsmServer.start({ core, address, logger });
  } catch (err) {
    core.close();
    throw err;
  }
  console.log(`hsm: listening on ${server.address} (profile ${core.context.profile}, LMK check value ${core.lmkKcv})`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  core.close();
  console.log('hsm: stopped');
}

/** The `hsm` command tree (the lead mounts it under `citycard`). */
export function hsmCommand(): Command {
  const hsm = new Command('hsm').description('the key custodian (HSM simulator): keys under a dual-control LMK, audited commands');

  withLmkOptions(hsm.command('init'))
    .description('create the key store: record the LMK check value, create the city CA (test profile: import the test keys)')
    .option('--ca-name <cn>', 'common name of the city CA')
    .option('--ca-organization <o>', 'organization of the city CA')
    .action((o: LmkOptions & { caName?: string; caOrganization?: string }) =>
      report(() => {
        const core = initHsm({
          dataDir: o.dataDir,
          components: components(o),
          profile: o.profile === 'test' ? 'test' : 'production',
          ca: { ...(o.caName === undefined ? {} : { commonName: o.caName }), ...(o.caOrganization === undefined ? {} : { organization: o.caOrganization }) },
        });
        try {
          console.log(`hsm: initialised ${o.dataDir} (profile ${core.context.profile}, LMK check value ${core.lmkKcv})`);
          for (const k of core.context.keys.list()) console.log(`  ${k.label}:${String(k.version).padStart(2, '0')} ${k.usage} kcv ${k.kcv}`);
        } finally {
          core.close();
        }
      }),
    );

  withLmkOptions(hsm.command('serve'))
    .description('serve clients on a unix socket (mode 0600) or loopback TCP')
    .option('--socket <path>', 'unix socket path')
    .option('--port <n>', 'TCP port on --host', parsePort)
    .option('--host <addr>', 'loopback address: 127.0.0.1 or ::1', '127.0.0.1')
    .option('--session-timeout <seconds>', 'personalization session idle timeout', parseSeconds, 300)
    .action((o: LmkOptions & { socket?: string; port?: number; host: string; sessionTimeout: number }) => report(() => serve(o)));

  const client = hsm.command('client').description('clients and their roles');
  withLmkOptions(client.command('add'))
    .description('register a client; prints its token once')
    .requiredOption('--name <name>', 'client name (a-z, 0-9, -)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, parseRole)
    .action((o: LmkOptions & { name: string; role: Role }) =>
      withCore(o, (core) => {
        const { token } = core.execute(OPERATOR, 'addClient', { name: o.name, role: o.role });
        console.log(token);
      }),
    );
  withLmkOptions(client.command('list'))
    .description('list clients and roles')
    .action((o: LmkOptions) =>
      withCore(o, (core) => {
        for (const c of core.execute(OPERATOR, 'listClients', {})) console.log(`${c.name}\t${c.role}\t${c.createdAt}`);
      }),
    );
  withLmkOptions(client.command('remove'))
    .description('remove a client')
    .requiredOption('--name <name>', 'client name')
    .action((o: LmkOptions & { name: string }) => withCore(o, (core) => core.execute(OPERATOR, 'removeClient', { name: o.name })));

  withLmkOptions(hsm.command('audit').command('verify'))
    .description('recompute the audit log chain')
    .action((o: LmkOptions) => withCore(o, (core) => console.log(`hsm: audit log intact, ${core.audit.verify()} entries`)));

  hsm
    .command('lmk-component')
    .description('write a new random LMK component (mode 0600) and print its check value')
    .requiredOption('--out <file>', 'file to create')
    .action((o: { out: string }) =>
      report(() => {
        const value = randomBytes(32);
        writeFileSync(o.out, `${value.toString('hex').toUpperCase()}\n`, { mode: 0o600, flag: 'wx' });
        console.log(lmkCheckValue(value));
        value.fill(0);
      }),
    );

  return hsm;
}
