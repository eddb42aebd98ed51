// A terminal process that opens the PC/SC adapter, talks to a card and closes must exit by itself:
// the pcsclite binding keeps the event loop alive for ever if its watcher threads are stopped carelessly.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnToyCard, TOY_ATR, type ToyCardProcess } from './pcscToyCard.fixture.js';
import { toHex } from '@citycard/protocols';

const SLOT0_READER = 'Virtual PCD 00 00';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const TRANSPORT_URL = pathToFileURL(path.join(REPO_ROOT, 'terminal-agent', 'src', 'transport', 'index.ts')).href;

const TERMINAL_SCRIPT = `
const { PcscAdapter } = await import(process.env.TRANSPORT_URL);
const transport = await PcscAdapter.open(process.env.READER);
await transport.waitForCard(10000);
const atr = await transport.powerOn();
const response = await transport.transmit(Buffer.from('00A40000023F00', 'hex'));
await transport.close();
console.log(atr.toString('hex').toUpperCase() + ' ' + response.toString('hex').toUpperCase());
`;

/** Run the terminal script; resolves with its exit code and output, or rejects if it does not exit. */
function runTerminal(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', TERMINAL_SCRIPT], {
      cwd: REPO_ROOT,
      env: { ...process.env, TRANSPORT_URL, READER: SLOT0_READER },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`terminal process did not exit after closing; output: ${stdout}`));
    }, 30_000);
    child.on('exit', (code) => {
      clearTimeout(watchdog);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('PcscAdapter.close()', () => {
  let card: ToyCardProcess;

  beforeAll(async () => {
    card = await spawnToyCard('127.0.0.2', 35963);
    await card.insert();
  });

  afterAll(async () => {
    await card?.exit();
  });

  it('leaves nothing that keeps the process alive', async () => {
    const { code, stdout, stderr } = await runTerminal();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(`${toHex(TOY_ATR)} 9000`);
  });
});
