/**
 * `citycard card serve` as a separate process in vpcd slot 0, driven through the real pcscd:
 * by our terminal code (pcsclite binding) and by a third party, `scriptor` from pcsc-tools.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex } from '@citycard/protocols';
import { ApduChannel, IdentitySession, PcscAdapter, WrongPinError } from '@citycard/terminal-agent';
import { startCardProcess, type CardProcess } from '../../cli/demo/cardProcess.js';
import { VPCD_PORT_CARD, VPCD_READER_NAMES } from '../../cli/stack/constants.js';

const run = promisify(execFile);
const READER = VPCD_READER_NAMES[0]!;
const CARD_NUMBER = '1000000000000042';

const SELECT_ID_CMD = '00A4040008F04349545949440100';
const SELECT_ID_RSP = '6F148408F043495459494401A50850064349545949449000';
const READ_CARD_INFO_CMD = '00B0810000';
const READ_CARDHOLDER_CMD = '00B0820000';
const SELECT_UNKNOWN_AID_CMD = '00A4040008F04349545900000000';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-serve-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function openSession(card: CardProcess): Promise<{ adapter: PcscAdapter; session: IdentitySession }> {
  const adapter = await PcscAdapter.open(READER);
  await adapter.waitForCard(5000);
  await adapter.powerOn();
  const session = new IdentitySession(new ApduChannel(adapter), { caCertificate: readFileSync(card.caCertificatePath) });
  return { adapter, session };
}

describe('card serve through pcscd', () => {
  it('personalizes on first start, authenticates, and keeps its state across a restart', async () => {
    const stateDir = path.join(dir, 'card');
    const first = await startCardProcess({ stateDir, port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER });
    let certificate: Buffer;
    try {
      const { adapter, session } = await openSession(first);
      try {
        const card = await session.authenticate();
        expect(card.cardInfo.cardNumber).toBe(CARD_NUMBER);
        certificate = Buffer.from(card.certificate.raw);
        await expect(session.verifyPin('654321')).rejects.toSatisfy((e) => e instanceof WrongPinError && e.triesLeft === 2);
      } finally {
        await adapter.close();
      }
    } finally {
      expect(await first.stop()).toBe(0);
    }

    // Same state directory: no new personalization (same certificate), the used PIN try persists.
    const second = await startCardProcess({ stateDir, port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER });
    try {
      const { adapter, session } = await openSession(second);
      try {
        expect(Buffer.from((await session.verifyCertificate()).raw)).toEqual(certificate);
        expect(await session.pinStatus()).toEqual({ verified: false, triesLeft: 2, blocked: false });
        await session.verifyPin('123456');
        expect((await session.readCardholder()).name).toBe('Test Citizen');
      } finally {
        await adapter.close();
      }
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it('answers scriptor (pcsc-tools) with the exact bytes, malformed APDUs included', async () => {
    const card = await startCardProcess({ stateDir: path.join(dir, 'scriptor'), port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER });
    try {
      const script = path.join(dir, 'commands.txt');
      writeFileSync(script, [SELECT_ID_CMD, READ_CARD_INFO_CMD, READ_CARDHOLDER_CMD, SELECT_UNKNOWN_AID_CMD, '00B0'].join('\n') + '\n');
      // scriptor does not wait for a card: wait until pcscd sees it (presence poll every ~400 ms).
      const probe = await PcscAdapter.open(READER);
      await probe.waitForCard(5000).finally(() => probe.close());
      const { stdout } = await run('scriptor', ['-r', READER, '-p', 'T=1', script], { timeout: 20_000 });
      const responses = parseScriptorResponses(stdout);
      expect(responses[0]).toBe(SELECT_ID_RSP);
      expect(responses[1]!.startsWith('E1255A081000000000000042')).toBe(true);
      expect(responses[1]!.endsWith('6282')).toBe(true);
      expect(responses[2]).toBe('6982'); // cardholder data needs the PIN
      expect(responses[3]).toBe('6A82'); // unknown AID
      expect(responses[4]).toBe('6700'); // two-byte APDU: wrong length, connection kept
    } finally {
      expect(await card.stop()).toBe(0);
    }
  });

  it('refuses a corrupt state file with a clear message and loads nothing', async () => {
    const stateDir = path.join(dir, 'corrupt');
    const card = await startCardProcess({ stateDir, port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER });
    expect(await card.stop()).toBe(0);
    const stateFile = path.join(stateDir, 'card.state');
    const bytes = readFileSync(stateFile);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(stateFile, bytes);
    appendFileSync(stateFile, fromHex('00'));
    await expect(startCardProcess({ stateDir, port: VPCD_PORT_CARD, cardNumber: CARD_NUMBER })).rejects.toThrow(
      /exited with code 2: .*card\.state/s,
    );
    expect(readFileSync(stateFile).subarray(0, bytes.length)).toEqual(bytes);
  });
});

/**
 * The response of each command in scriptor's output, as upper-case hex without spaces. scriptor
 * prints `< ` then the response bytes wrapped over lines, ending with `: <meaning>`.
 */
function parseScriptorResponses(stdout: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('< ')) current = line.slice(2);
    else if (current !== undefined) current += ` ${line}`;
    if (current !== undefined && current.includes(':')) {
      out.push(current.split(':')[0]!.replace(/\s+/g, '').toUpperCase());
      current = undefined;
    }
  }
  return out;
}
