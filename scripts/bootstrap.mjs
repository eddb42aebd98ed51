#!/usr/bin/env node
// Prepares a clone for `npm run demo` and `npm test`: the Debian packages of the local stack, then
// the npm packages. Plain Node with no npm dependencies, because it runs before `npm install`.
// Silent and quick when everything is already there.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Same list as APT_PACKAGES in cli/stack/constants.ts. Their Recommends (vsmartcard-vpicc,
// gscriptor's GTK bindings, python3) are not needed by pcscd, vpcd or scriptor. chromium runs the
// bureau console's end-to-end test headless (playwright-core drives it; no browser download).
const APT_PACKAGES = ['pcscd', 'libpcsclite-dev', 'vsmartcard-vpcd', 'pcsc-tools', 'redis-server', 'iproute2', 'chromium'];
const APT_INSTALL = ['install', '-y', '--no-install-recommends'];
// What the stack runs, for systems without apt.
const REQUIRED_PROGRAMS = ['pcscd', 'redis-server', 'ip', 'scriptor'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`bootstrap: ${message}`);
  process.exit(1);
}

function onPath(name) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  return dirs.some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Missing packages, or undefined when this is not a dpkg/apt system. */
function missingAptPackages() {
  if (!onPath('dpkg-query') || !onPath('apt-get')) return undefined;
  // dpkg-query exits 1 when a package is unknown; stdout still lists the known ones.
  const query = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...APT_PACKAGES], {
    encoding: 'utf8',
  });
  if (query.error !== undefined) return undefined;
  const installed = new Set(
    query.stdout
      .split('\n')
      .map((line) => line.split(' '))
      .filter(([, status]) => status === 'ii')
      .map(([name]) => name),
  );
  return APT_PACKAGES.filter((p) => !installed.has(p));
}

function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error !== undefined) fail(`cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal})`);
}

function ensureSystemPackages() {
  const missing = missingAptPackages();
  if (missing === undefined) {
    const absent = REQUIRED_PROGRAMS.filter((p) => !onPath(p));
    if (absent.length > 0) {
      fail(
        `this is not a Debian/apt system, and ${absent.join(', ')} cannot be found.\n` +
          'Install pcsc-lite (pcscd), the vsmartcard vpcd driver, pcsc-tools, Redis and iproute2 with your package manager, then rerun.',
      );
    }
    return;
  }
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    fail(
      `missing Debian packages: ${missing.join(' ')}\n` +
        'Install them as root, then rerun:\n' +
        `  sudo apt-get update && sudo apt-get ${APT_INSTALL.join(' ')} ${missing.join(' ')}`,
    );
  }
  console.log(`bootstrap: installing ${missing.join(' ')}`);
  run('apt-get', ['update']);
  run('apt-get', [...APT_INSTALL, ...missing], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
  const still = missingAptPackages() ?? [];
  if (still.length > 0) fail(`apt-get finished but these are still not installed: ${still.join(' ')}`);
  console.log(`bootstrap: installed ${missing.join(' ')}`);
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function ensureNpmPackages() {
  const modules = path.join(root, 'node_modules');
  const hiddenLock = path.join(modules, '.package-lock.json');
  const lock = mtime(path.join(root, 'package-lock.json'));
  const installed = mtime(hiddenLock);
  const stale = !existsSync(modules) || (lock !== undefined && (installed === undefined || lock > installed));
  if (!stale) return;
  // Under `npm run`, use the npm that runs us rather than whichever is first on PATH.
  const npmCli = process.env.npm_execpath;
  const args = ['install', '--no-audit', '--no-fund'];
  if (npmCli !== undefined && /npm-cli\.[cm]?js$/.test(npmCli)) run(process.execPath, [npmCli, ...args]);
  else run('npm', args);
  // npm may leave its hidden lockfile untouched when nothing changed; stamp it so we do not rerun.
  const after = mtime(hiddenLock);
  if (after !== undefined && lock !== undefined && after < lock) {
    const now = new Date();
    utimesSync(hiddenLock, now, now);
  }
}

ensureSystemPackages();
ensureNpmPackages();
