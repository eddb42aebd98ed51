/** The demo's gate (cli/demo/gate.ts): the line a tap prints, and its configuration file. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfigError, type CardTransport, type TapOutcome } from '@citycard/terminal-agent';
import { DemoGate, GATE_CONFIG_FILE, gateLine } from '../../cli/demo/gate.js';

const CARD_NUMBER = '1000000000000001';
const CREDENTIAL = '000000000001.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE';
const HOTLIST_KEY = '3D4017C3E843895A92B70AA74D1B7EBC9C982CCF2EC4968CC0CD55F12AF4660C';

describe('gateLine', () => {
  it('shows the fare and the balance the tap left', () => {
    const approved: TapOutcome = { kind: 'approved', cardNumber: CARD_NUMBER, amount: 200, balanceAfter: 2970, record: undefined, journey: { kind: 'flat' } };
    expect(gateLine(approved)).toBe('APPROVED ¥2.00 — balance ¥29.70');
  });

  it('says a hotlisted card was blocked only when the block happened', () => {
    const refused = (blocked: boolean): TapOutcome => ({ kind: 'declined', cardNumber: CARD_NUMBER, reason: 'CARD_HOTLISTED', blocked, detail: 'risk policy: CARD_HOTLISTED' });
    expect(gateLine(refused(true))).toBe('HOTLISTED — CARD BLOCKED');
    expect(gateLine(refused(false))).toBe('HOTLISTED — CARD REFUSED');
  });

  it('shows no balance where the tap knows none', () => {
    expect(gateLine({ kind: 'declined', cardNumber: CARD_NUMBER, reason: 'CARD_BLOCKED', detail: '6A81' })).toBe('CARD BLOCKED');
    expect(gateLine({ kind: 'tapAgain', cardNumber: CARD_NUMBER, answerLost: true, detail: 'no answer' })).toBe('CARD REMOVED TOO EARLY — TAP AGAIN');
  });
});

describe('DemoGate.open', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  /** A slot that fails the test if the gate talks to it. */
  const untouched = (): CardTransport =>
    new Proxy({} as CardTransport, {
      get: (_, name) => () => Promise.reject(new Error(`the slot was used (${String(name)})`)),
    });

  it('writes a configuration without the credential and refuses a bad one before touching the PSAM', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'demo-gate-'));
    const open = DemoGate.open({
      dir,
      backendUrl: 'http://127.0.0.1:9',
      credential: CREDENTIAL,
      hotlistKey: HOTLIST_KEY.slice(2),
      fare: 200,
      card: untouched(),
      psam: untouched(),
    });
    await expect(open).rejects.toBeInstanceOf(AgentConfigError);
    await expect(open).rejects.toThrow(/backend\.hotlistKeys\.0/);
    const file = path.join(dir, GATE_CONFIG_FILE);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      mode: 'gate',
      dataDir: '.',
      backend: { url: 'http://127.0.0.1:9', hotlistKeys: [HOTLIST_KEY.slice(2)] },
      gate: { fare: { kind: 'flat', amount: 200 } },
    });
    expect(readFileSync(file, 'utf8')).not.toContain(CREDENTIAL.split('.')[1]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
