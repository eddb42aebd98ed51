/** The terminal agent's config file (terminal-agent/src/agent/agentConfig.ts): defaults, modes, secrets, errors. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConfigError, fareRuleOf, loadAgentConfig, parseAgentConfig } from '../../terminal-agent/src/agent/agentConfig.js';

const HOTLIST_KEY = 'AB'.repeat(32);
const CREDENTIAL = `000000000001.${'A'.repeat(43)}`;
const ENV = { CITYCARD_TERMINAL_TOKEN: CREDENTIAL };
const GATE = {
  mode: 'gate',
  backend: { url: 'http://127.0.0.1:8080', hotlistKeys: [HOTLIST_KEY] },
  gate: { fare: { kind: 'flat', amount: 200 } },
};
const BASE_DIR = path.join(os.tmpdir(), 'agent-config-base');

/** The issues of a config that must fail. */
function issuesOf(json: unknown, env: Record<string, string | undefined> = ENV): readonly string[] {
  try {
    parseAgentConfig(json, { env, baseDir: BASE_DIR });
  } catch (err) {
    if (err instanceof AgentConfigError) return err.issues;
    throw err;
  }
  throw new Error('the config was accepted');
}

describe('parseAgentConfig', () => {
  it('fills in safe defaults and takes the credential from the environment', () => {
    const config = parseAgentConfig(GATE, { env: ENV, baseDir: BASE_DIR });
    expect(config).toEqual({
      mode: 'gate',
      dataDir: path.join(BASE_DIR, '.citycard', 'agent'),
      backend: { url: 'http://127.0.0.1:8080', credential: CREDENTIAL, terminalNumber: '000000000001', hotlistKeys: [HOTLIST_KEY], hotlistPollMs: 60_000 },
      readers: {},
      gate: { fare: { kind: 'flat', amount: 200 } },
      pos: { maxAmount: 50_000 },
      risk: { capPerCard: 10_000, maxOfflineMs: 86_400_000, whenStale: 'allowUpToStaleCap', staleCapPerCard: 2_000 },
      upload: { batchSize: 200, intervalMs: 30_000 },
      recoveryWindowMs: 300_000,
      kiosk: undefined,
    });
  });

  it('runs a gate offline without a backend (no credential needed)', () => {
    const config = parseAgentConfig({ mode: 'gate', gate: GATE.gate, dataDir: '/var/lib/citycard' }, { env: {}, baseDir: BASE_DIR });
    expect(config.backend).toBeUndefined();
    expect(config.dataDir).toBe('/var/lib/citycard');
  });

  it('lets --mode override the file', () => {
    expect(parseAgentConfig(GATE, { env: ENV, mode: 'pos', baseDir: BASE_DIR }).mode).toBe('pos');
  });

  it('refuses secrets in the file, naming where they are', () => {
    expect(issuesOf({ ...GATE, backend: { ...GATE.backend, credential: CREDENTIAL } })).toEqual([
      'backend.credential: secrets are not read from the file; set CITYCARD_TERMINAL_TOKEN in the environment',
    ]);
    expect(issuesOf({ ...GATE, token: 'x' })).toEqual(['token: secrets are not read from the file; set CITYCARD_TERMINAL_TOKEN in the environment']);
  });

  it('needs the credential when a backend is configured, and checks its form', () => {
    expect(issuesOf(GATE, {})).toEqual(['CITYCARD_TERMINAL_TOKEN: set it to this terminal\'s credential (TERMINAL.SECRET) to reach the backend']);
    expect(issuesOf(GATE, { CITYCARD_TERMINAL_TOKEN: 'nope' })).toEqual([
      'CITYCARD_TERMINAL_TOKEN: not a terminal credential: expected TERMINAL.SECRET (12 digits, a dot, 43 base64url characters)',
    ]);
  });

  it('lists every bad value with its path', () => {
    const issues = issuesOf({ ...GATE, gate: { fare: { kind: 'flat', amount: 0 } }, upload: { batchSize: 501 }, risk: { whenStale: 'sometimes' } });
    expect(issues).toHaveLength(3);
    expect(issues[0]).toMatch(/^gate\.fare\.amount: /);
    expect(issues[1]).toMatch(/^risk\.whenStale: /);
    expect(issues[2]).toMatch(/^upload\.batchSize: /);
  });

  it('refuses unknown keys (a typo never falls back to a default)', () => {
    const issues = issuesOf({ ...GATE, risk: { capPerCrad: 5 } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^risk: .*capPerCrad/);
  });

  it('needs the section of the mode and the pinned hotlist key', () => {
    expect(issuesOf({ mode: 'gate' }, {})).toEqual(['gate: required in gate mode (at least { "fare": { "kind": "flat", "amount": <fen> } })']);
    expect(issuesOf({ ...GATE, backend: { url: 'http://127.0.0.1:8080' } })).toEqual([
      'backend.hotlistKeys: pin the backend\'s hotlist public key (64 hex digits)',
    ]);
    expect(issuesOf({ mode: 'kiosk' }, {})).toEqual([
      'backend: required in kiosk mode (loads are online)',
      'kiosk: required in kiosk mode ({ "servicePoint", "caCertificate" })',
    ]);
    expect(issuesOf({ mode: 'bureau', backend: { url: 'http://127.0.0.1:8080' } }, {})).toEqual([
      'bureau: required in bureau mode ({ "station", "count", "hsmSocket" })',
    ]);
  });

  it('checks the rules between settings', () => {
    expect(issuesOf({ ...GATE, risk: { capPerCard: 1000, staleCapPerCard: 2000 } })).toEqual(['risk.staleCapPerCard: must not exceed risk.capPerCard (1000)']);
    expect(issuesOf({ ...GATE, timeZone: 'Mars/Olympus' })).toEqual(['timeZone: "Mars/Olympus" is not an IANA time zone']);
  });

  it('checks a zoned fare as the tap would, and prices terminals by their zone', () => {
    const zoned = { kind: 'zoned', zone: 2, table: [[200, 300], [300, 200]], entryWindowMinutes: 90, terminalZones: { '0000000000A1': 0 } };
    expect(issuesOf({ ...GATE, gate: { fare: zoned } })).toEqual(['gate.fare.zone: must be an index of the table (0 to 1), got 2']);
    const config = parseAgentConfig({ ...GATE, gate: { fare: { ...zoned, zone: 1 } } }, { env: ENV, baseDir: BASE_DIR });
    const rule = fareRuleOf(config.gate!.fare);
    expect(rule.kind === 'zoned' && [rule.zoneOfTerminal('0000000000a1'), rule.zoneOfTerminal('0000000000B2')]).toEqual([0, undefined]);
  });

  it('takes a bureau station without a terminal credential', () => {
    const config = parseAgentConfig(
      { mode: 'bureau', backend: { url: 'http://127.0.0.1:8080' }, bureau: { station: 'station-1', count: 20, hsmSocket: '/run/hsm.sock', reader: 'PCD 00 00' } },
      { env: {}, baseDir: BASE_DIR },
    );
    expect(config.bureau).toEqual({ station: 'station-1', count: 20, hsmSocket: '/run/hsm.sock', reader: 'PCD 00 00', queue: false, swapCards: true, cardTimeoutS: 120 });
    expect(config.backend?.credential).toBeUndefined();
  });
  it('takes a kiosk without pinned hotlist keys, its CA file relative to the config', () => {
    const config = parseAgentConfig(
      { mode: 'kiosk', backend: { url: 'https://backend.city.example' }, kiosk: { servicePoint: 'kiosk-1', caCertificate: 'ca.pem' } },
      { env: ENV, baseDir: BASE_DIR },
    );
    expect(config.kiosk).toEqual({ servicePoint: 'kiosk-1', caCertificate: path.join(BASE_DIR, 'ca.pem'), host: '127.0.0.1', port: 8470 });
    expect(config.backend?.hotlistKeys).toEqual([]);
  });
});

describe('loadAgentConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-agent-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves the data folder against the file\'s folder', () => {
    const file = path.join(dir, 'gate.json');
    writeFileSync(file, JSON.stringify({ ...GATE, dataDir: 'data' }));
    expect(loadAgentConfig(file, { env: ENV }).dataDir).toBe(path.join(dir, 'data'));
  });

  it('names the file when it is missing or not JSON', () => {
    const missing = path.join(dir, 'missing.json');
    expect(() => loadAgentConfig(missing, { env: ENV })).toThrow(new RegExp(`^${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read the file`));
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "mode": ');
    expect(() => loadAgentConfig(broken, { env: ENV })).toThrow(AgentConfigError);
    expect(() => loadAgentConfig(broken, { env: ENV })).toThrow(/: not JSON: /);
  });
});
