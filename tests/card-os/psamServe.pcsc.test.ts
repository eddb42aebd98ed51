/**
 * `psam serve` as a separate process in vpcd slot 1 ("Virtual PCD 00 01"), driven through the real
 * pcscd by the terminal's PcscAdapter: SELECT, the terminal number, MAC1 and MAC2 with exact bytes,
 * the TTSN across a restart, SIGTERM, and the refusals that exit with code 2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStore, hasValidTck } from '@citycard/card-os';
import { fromHex, toHex } from '@citycard/protocols';
import { PcscAdapter } from '@citycard/terminal-agent';
import { PSAM_TTSN_KEY, personalizePsamTestProfile } from '@citycard/card-os';

const READER = 'Virtual PCD 00 01';
const PSAM_PORT = 35964;
const TERMINAL_NUMBER = '000000000001';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(REPO_ROOT, 'bin', 'citycard.js');

const SELECT_PSAM_CMD = fromHex('00A4040008F04349545953414D00');
const SELECT_PSAM_RSP = '6F158408F04349545953414DA50950074349545953414D9000';
const READ_TERMINAL_CMD = fromHex('00B0960006');
const READ_TERMINAL_RSP = '0000000000019000';
// Spec §8.2 purchase of 250 by card 1000000000000001 at 20261123 093000.
const MAC1_CMD = fromHex(
  '807000001C' + 'A1B2C3D4' + '0005' + '000000FA' + '06' + '20261123' + '093000' + '01' + '00' + '1000000000000001',
);
const MAC1_TTSN_0102_RSP = '00000102AE47C1339000';
const VERIFY_MAC2_0102_CMD = fromHex('80720000040DEF3FA3');
// The same purchase as the first and second MAC1 of a new PSAM (TTSN 1 and 2).
const MAC1_TTSN_0001_RSP = '00000001DB6B77439000';
const VERIFY_MAC2_0001_CMD = fromHex('807200000416D0782E');
const MAC1_TTSN_0002_RSP = '000000026604CB399000';
const VERIFY_WRONG_MAC2_CMD = fromHex('807200000400000000');
const WRONG_KEY_VERSION_MAC1_CMD = fromHex(
  '807000001C' + 'A1B2C3D4' + '0005' + '000000FA' + '06' + '20261123' + '093000' + '02' + '00' + '1000000000000001',
);

interface PsamProcess {
  readonly child: ChildProcess;
  /** The line printed once serving. */
  readonly ready: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Spawn `psam serve`; resolves on its "serving" line, rejects with its stderr if it exits first. */
async function startPsam(stateDir: string, terminalNumber = TERMINAL_NUMBER): Promise<PsamProcess> {
  const args = ['psam', 'serve', '--port', String(PSAM_PORT), '--terminal-number', terminalNumber, '--state-dir', stateDir, '--log-level', 'warn'];
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`psam serve did not start: ${stderr.join('')}`));
    }, 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('serving on vpcd')) return;
      clearTimeout(timer);
      resolve(line);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`psam serve exited with code ${code}: ${stderr.join('').trim()}`));
    });
  });
  return {
    child,
    ready,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Open slot 1 through pcscd and power the PSAM on; returns the adapter and the ATR. */
async function openPsamReader(): Promise<{ adapter: PcscAdapter; atr: Buffer }> {
  const adapter = await PcscAdapter.open(READER);
  try {
    await adapter.waitForCard(10_000);
    return { adapter, atr: await adapter.powerOn() };
  } catch (err) {
    await adapter.close();
    throw err;
  }
}

async function send(adapter: PcscAdapter, command: Buffer): Promise<string> {
  return toHex(await adapter.transmit(command));
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-psam-serve-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('psam serve through pcscd (slot 1)', () => {
  it('answers SELECT, EF 16 and the spec §8.2 MAC1 and MAC2 with exact bytes, and exits 0 on SIGTERM', async () => {
    const stateDir = path.join(dir, 'vector');
    const store = FileStore.open(stateDir);
    personalizePsamTestProfile(store, { terminalNumber: TERMINAL_NUMBER });
    store.commit(new Map([[PSAM_TTSN_KEY, fromHex('00000101')]]));
    store.close();

    const psam = await startPsam(stateDir);
    try {
      expect(psam.ready).toBe(`psam ${TERMINAL_NUMBER} serving on vpcd 127.0.0.2:${PSAM_PORT}`);
      const { adapter, atr } = await openPsamReader();
      try {
        expect(hasValidTck(atr)).toBe(true);
        expect(await send(adapter, SELECT_PSAM_CMD)).toBe(SELECT_PSAM_RSP);
        expect(await send(adapter, READ_TERMINAL_CMD)).toBe(READ_TERMINAL_RSP);
        expect(await send(adapter, MAC1_CMD)).toBe(MAC1_TTSN_0102_RSP);
        expect(await send(adapter, VERIFY_MAC2_0102_CMD)).toBe('9000');
        expect(await send(adapter, WRONG_KEY_VERSION_MAC1_CMD)).toBe('9403');
        expect(await send(adapter, fromHex('8070'))).toBe('6700'); // malformed: a status word, connection kept
        expect(await send(adapter, READ_TERMINAL_CMD)).toBe(READ_TERMINAL_RSP);
      } finally {
        await adapter.close();
      }
    } finally {
      expect(await psam.stop()).toBe(0);
    }
    const after = FileStore.open(stateDir);
    expect(toHex(after.get(PSAM_TTSN_KEY)!)).toBe('00000102');
    after.close();
  });

  it('personalizes on first start and continues the TTSN after a restart', async () => {
    const stateDir = path.join(dir, 'fresh');
    const first = await startPsam(stateDir);
    try {
      expect(first.ready).toBe(`psam ${TERMINAL_NUMBER} personalized and serving on vpcd 127.0.0.2:${PSAM_PORT}`);
      const { adapter } = await openPsamReader();
      try {
        expect(await send(adapter, SELECT_PSAM_CMD)).toBe(SELECT_PSAM_RSP);
        expect(await send(adapter, MAC1_CMD)).toBe(MAC1_TTSN_0001_RSP);
        expect(await send(adapter, VERIFY_WRONG_MAC2_CMD)).toBe('9302');
        expect(await send(adapter, VERIFY_MAC2_0001_CMD)).toBe('6985'); // one try per MAC1
      } finally {
        await adapter.close();
      }
    } finally {
      expect(await first.stop()).toBe(0);
    }

    const second = await startPsam(stateDir);
    try {
      expect(second.ready).toBe(`psam ${TERMINAL_NUMBER} serving on vpcd 127.0.0.2:${PSAM_PORT}`);
      const { adapter } = await openPsamReader();
      try {
        expect(await send(adapter, SELECT_PSAM_CMD)).toBe(SELECT_PSAM_RSP);
        expect(await send(adapter, MAC1_CMD)).toBe(MAC1_TTSN_0002_RSP);
      } finally {
        await adapter.close();
      }
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it('exits with code 2 and a clear message for a corrupt state, another terminal or a non-PSAM state', async () => {
    const stateDir = path.join(dir, 'refusals');
    const psam = await startPsam(stateDir);
    expect(await psam.stop()).toBe(0);

    await expect(startPsam(stateDir, '000000000002')).rejects.toThrow(
      /exited with code 2: .*holds the PSAM of terminal 000000000001, not 000000000002/s,
    );

    const stateFile = path.join(stateDir, 'card.state');
    const bytes = readFileSync(stateFile);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(stateFile, bytes);
    appendFileSync(stateFile, fromHex('00'));
    await expect(startPsam(stateDir)).rejects.toThrow(/exited with code 2: .*corrupt card state file .*card\.state/s);
    expect(readFileSync(stateFile).subarray(0, bytes.length)).toEqual(bytes);

    const otherDir = path.join(dir, 'not-a-psam');
    const other = FileStore.open(otherDir);
    other.commit(new Map([['df/F043495459494401/lifecycle', fromHex('07')]]));
    other.close();
    await expect(startPsam(otherDir)).rejects.toThrow(/exited with code 2: .*not a PSAM/s);
  });
});
