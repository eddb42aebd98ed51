import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PCSCD_SOCKET, VPCD_PORTS } from './constants.js';
import { logTail, spawnDaemon, waitReady } from './daemon.js';
import { BinaryMissingError, PortBusyError, StartFailedError } from './errors.js';
import { findBinary, isRunningProgram } from './proc.js';
import { listeningTcpPorts, socketAnswers } from './probes.js';
import type { ProcessRecord } from './record.js';

const PCSCD_PIDFILE = path.join(path.dirname(PCSCD_SOCKET), 'pcscd.pid');

/**
 * True when a pcscd serves this mount namespace: its socket answers, or its pid file names a live
 * pcscd (one that is still starting). A pcscd seen only by PID may serve another namespace.
 */
export async function pcscdRunning(): Promise<boolean> {
  if (await socketAnswers(PCSCD_SOCKET)) return true;
  try {
    const pid = Number.parseInt(await readFile(PCSCD_PIDFILE, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 && (await isRunningProgram(pid, 'pcscd'));
  } catch {
    return false;
  }
}

/** True when both vpcd slots listen for virtual cards in this network namespace. */
export async function vpcdListening(): Promise<boolean> {
  const ports = await listeningTcpPorts();
  return VPCD_PORTS.every((p) => ports.has(p));
}

/**
 * Starts `pcscd --foreground --info` detached and waits until its socket answers and vpcd listens.
 * @throws BinaryMissingError without pcscd; PortBusyError when the vpcd ports are taken;
 *   StartFailedError when pcscd exits or is not ready within timeoutMs (it is then stopped).
 */
export async function startPcscd(log: string, timeoutMs: number): Promise<ProcessRecord> {
  const binary = findBinary('pcscd');
  if (binary === undefined) {
    throw new BinaryMissingError('pcscd', 'run `node scripts/bootstrap.mjs` (it installs pcscd and vsmartcard-vpcd)');
  }
  const taken = await listeningTcpPorts();
  const busy = VPCD_PORTS.filter((p) => taken.has(p));
  if (busy.length > 0) {
    throw new PortBusyError(
      'vpcd',
      `TCP port(s) ${busy.join(', ')} are in use but no pcscd answers on ${PCSCD_SOCKET}: ` +
        'another program (or a pcscd of another mount namespace) holds the vpcd ports',
    );
  }
  const daemon = await spawnDaemon('pcscd', binary, ['--foreground', '--info'], log);
  const ready = async (): Promise<boolean> => (await socketAnswers(PCSCD_SOCKET)) && (await vpcdListening());
  const outcome = await waitReady(daemon, ready, timeoutMs);
  if (outcome === 'ready') return daemon.record;
  if (outcome === 'timeout') {
    try {
      process.kill(daemon.record.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const rootHint =
    process.getuid?.() === 0 ? '' : '\npcscd must run as root (it creates /run/pcscd): run the command with sudo.';
  const why =
    outcome === 'exited'
      ? 'pcscd exited during startup'
      : `pcscd did not become ready within ${timeoutMs} ms ` +
        `(socket ${PCSCD_SOCKET}, vpcd ports ${VPCD_PORTS.join(', ')}); ` +
        'is vsmartcard-vpcd installed? (run `node scripts/bootstrap.mjs`)';
  throw new StartFailedError('pcscd', `${why}${rootHint}${await logTail(log)}`);
}
