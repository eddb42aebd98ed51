/**
 * The terminal agent's configuration file (JSON), validated by one zod schema. One agent, one
 * file: `mode` picks what it runs (`gate`, `pos`, `kiosk` or `bureau`); the sections of the other
 * modes are ignored. Unknown keys are refused, so a typo never silently falls back to a default.
 *
 * Secrets never come from the file: the terminal credential is `CITYCARD_TERMINAL_TOKEN` in the
 * environment (a file is copied, backed up and read by other accounts more easily than a
 * process's environment), and so is a kiosk's HSM token (`CITYCARD_HSM_TOKEN`, needed when
 * `kiosk.hsmSocket` is set). A `credential` or `token` key in the file is an error that says so.
 *
 * Example (a flat-fare gate):
 *
 *     { "mode": "gate",
 *       "backend": { "url": "http://127.0.0.1:8080", "hotlistKeys": ["<64 hex digits>"] },
 *       "gate": { "fare": { "kind": "flat", "amount": 200 } } }
 *
 * Amounts are fen; durations are ms. Defaults: `dataDir` `.citycard/agent`; `pos.maxAmount`
 * 50,000; `risk` a cap of 10,000 per card between hotlist syncs, stale after 24 h, then
 * `allowUpToStaleCap` with 2,000 per card; `upload` batches of 200 every 30 s; a recovery window
 * of 5 minutes; the kiosk page on 127.0.0.1:8470. Without a backend a gate or POS runs alone: it
 * has no hotlist, so it is stale from the start and `risk.whenStale` decides what it accepts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type FareRule, checkFareRule } from '../tap/fareRule.js';
import { FareRuleError } from '../tap/tapErrors.js';
import { credentialTerminal } from '../upload/terminalCredential.js';

/** The environment variable holding the terminal credential `TERMINAL.SECRET`. */
export const TERMINAL_TOKEN_ENV = 'CITYCARD_TERMINAL_TOKEN';

/** The environment variable holding the kiosk's HSM client token (role `load`), for top-ups. */
export const HSM_TOKEN_ENV = 'CITYCARD_HSM_TOKEN';

export const AGENT_MODES = ['gate', 'pos', 'kiosk', 'bureau'] as const;
export type AgentMode = (typeof AGENT_MODES)[number];

const MAX_FEN = 0xffffffff;
const fen = z.number().int().min(1).max(MAX_FEN);
const ms = (max: number) => z.number().int().min(0).max(max);
const DAY_MS = 86_400_000;
const TERMINAL_NUMBER = /^[0-9A-Fa-f]{12}$/;
const SECRET_KEYS = ['credential', 'token', 'secret', 'password'] as const;

const flatFareSchema = z.strictObject({ kind: z.literal('flat'), amount: fen });

const zonedFareSchema = z.strictObject({
  kind: z.literal('zoned'),
  /** This gate's zone, an index of `table`. */
  zone: z.number().int().min(0),
  /** `table[from][to]`, fen, square. */
  table: z.array(z.array(z.number().int().min(0).max(MAX_FEN)).min(1)).min(1),
  entryWindowMinutes: z.number().positive().max(24 * 60),
  /** The zone of each terminal of the network, by terminal number (12 hex digits). */
  terminalZones: z.record(z.string().regex(TERMINAL_NUMBER, 'a terminal number is 12 hex digits'), z.number().int().min(0)),
});

const fareSchema = z.discriminatedUnion('kind', [flatFareSchema, zonedFareSchema]);

/** A fare as the file writes it: plain data (see `fareRuleOf`). */
export type FareConfig = z.infer<typeof fareSchema>;

const fileSchema = z.strictObject({
  mode: z.enum(AGENT_MODES),
  /** Records, hotlist and upload key; relative to the config file's folder. */
  dataDir: z.string().min(1).default('.citycard/agent'),
  /** IANA zone written on cards and used for fares; default the process's zone. */
  timeZone: z.string().min(1).optional(),
  backend: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
      /** The backend's hotlist Ed25519 public keys, 64 hex digits each (pinned, never fetched). */
      hotlistKeys: z.array(z.string().regex(/^[0-9A-Fa-f]{64}$/, 'a hotlist key is 64 hex digits')).min(1).optional(),
      /** Fallback poll of the hotlist besides its event stream. */
      hotlistPollMs: ms(DAY_MS).default(60_000),
    })
    .optional(),
  readers: z
    .strictObject({
      /** Part of the name of the cardholder's reader. */
      card: z.string().min(1).optional(),
      /** Part of the name of the SAM reader. */
      sam: z.string().min(1).optional(),
    })
    .default({}),
  gate: z.strictObject({ fare: fareSchema }).optional(),
  pos: z.strictObject({ maxAmount: fen.default(50_000) }).default({ maxAmount: 50_000 }),
  risk: z
    .strictObject({
      /** Fen one card may spend offline between two hotlist syncs. */
      capPerCard: fen.default(10_000),
      /** How old the hotlist may be before it counts as stale. */
      maxOfflineMs: ms(30 * DAY_MS).default(DAY_MS),
      whenStale: z.enum(['refuse', 'allowUpToCap', 'allowUpToStaleCap']).default('allowUpToStaleCap'),
      /** The per-card cap while stale under `allowUpToStaleCap`, 1..capPerCard. */
      staleCapPerCard: fen.default(2_000),
    })
    .default({ capPerCard: 10_000, maxOfflineMs: DAY_MS, whenStale: 'allowUpToStaleCap', staleCapPerCard: 2_000 }),
  upload: z
    .strictObject({
      /** Records per batch, 1..500. */
      batchSize: z.number().int().min(1).max(500).default(200),
      /** Pause between drains once everything is uploaded. */
      intervalMs: ms(DAY_MS).min(1_000).default(30_000),
    })
    .default({ batchSize: 200, intervalMs: 30_000 }),
  /** How long a torn purchase is still recovered when its card comes back. */
  recoveryWindowMs: ms(DAY_MS).default(5 * 60_000),
  kiosk: z
    .strictObject({
      /** Service point named in identity nonces and assertions. */
      servicePoint: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ : -'),
      /** The city CA certificate (PEM or DER file) card certificates are checked against; relative to the config file's folder. */
      caCertificate: z.string().min(1),
      /** Address of the kiosk page; loopback by default (the kiosk's browser runs on the same machine). */
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8470),
      /** The HSM's unix socket for top-ups (its token: CITYCARD_HSM_TOKEN); without it the kiosk offers no top-up. */
      hsmSocket: z.string().min(1).optional(),
      /** Top-up amounts offered, fen. */
      topUpAmounts: z.array(fen).min(1).max(8).optional(),
    })
    .optional(),
  bureau: z
    .strictObject({
      /** This station's name, as the backend records it. */
      station: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, underscores or hyphens'),
      count: z.number().int().min(1).max(10_000),
      /** Exact PC/SC name of the reader holding the blank card; default `readers.card`. */
      reader: z.string().min(1).optional(),
      hsmSocket: z.string().min(1),
      queue: z.boolean().default(false),
      swapCards: z.boolean().default(true),
      cardTimeoutS: z.number().int().min(1).max(3600).default(120),
    })
    .optional(),
});

type FileConfig = z.infer<typeof fileSchema>;

/** The backend as the agent reaches it; `credential` came from the environment. */
export interface AgentBackend {
  readonly url: string;
  /** `TERMINAL.SECRET`; undefined in bureau mode (the bureau signs in as a clerk). */
  readonly credential: string | undefined;
  /** The terminal number the credential belongs to. */
  readonly terminalNumber: string | undefined;
  readonly hotlistKeys: readonly string[];
  readonly hotlistPollMs: number;
}

/** The validated configuration, defaults applied, `dataDir` absolute. */
export interface AgentConfig extends Omit<FileConfig, 'backend' | 'dataDir'> {
  readonly dataDir: string;
  readonly backend: AgentBackend | undefined;
}

/** A configuration that cannot run: `issues` lists each problem as `path: message`. */
export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[], options?: { cause?: unknown }) {
    super(`${source}:${issues.length === 1 ? ` ${issues[0]}` : `\n  - ${issues.join('\n  - ')}`}`, options);
    this.issues = issues;
  }
}

export interface AgentConfigSources {
  /** Where `CITYCARD_TERMINAL_TOKEN` (and a kiosk's `CITYCARD_HSM_TOKEN`) is read; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Overrides the file's `mode` (the `--mode` flag). */
  readonly mode?: AgentMode | undefined;
  /** Folder relative paths are resolved against; default the current directory. */
  readonly baseDir?: string;
  /** Names the source in error messages; default `config`. */
  readonly source?: string;
}

/**
 * Read and validate the JSON file at `file` (relative paths in it resolve against its folder).
 * Throws `AgentConfigError` for a file that cannot be read, is not JSON, or does not validate.
 */
export function loadAgentConfig(file: string, sources: Omit<AgentConfigSources, 'baseDir' | 'source'> = {}): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AgentConfigError(file, [`cannot read the file: ${(err as Error).message}`], { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AgentConfigError(file, [`not JSON: ${(err as Error).message}`], { cause: err });
  }
  return parseAgentConfig(json, { ...sources, baseDir: path.dirname(path.resolve(file)), source: file });
}

/** Validate parsed JSON; see {@link loadAgentConfig}. Throws `AgentConfigError` listing every problem. */
export function parseAgentConfig(json: unknown, sources: AgentConfigSources = {}): AgentConfig {
  const source = sources.source ?? 'config';
  const env = sources.env ?? process.env;
  const secrets = secretKeysIn(json);
  if (secrets.length > 0) {
    throw new AgentConfigError(source, secrets.map((key) => `${key}: secrets are not read from the file; set ${TERMINAL_TOKEN_ENV} in the environment`));
  }
  const withMode = sources.mode !== undefined && isObject(json) ? { ...json, mode: sources.mode } : json;
  const parsed = fileSchema.safeParse(withMode);
  if (!parsed.success) throw new AgentConfigError(source, parsed.error.issues.map((i) => `${i.path.length === 0 ? '(file)' : i.path.join('.')}: ${i.message}`));
  const file = parsed.data;
  const issues = modeIssues(file, env);
  if (issues.length > 0) throw new AgentConfigError(source, issues);

  const credential = file.mode === 'bureau' ? undefined : nonEmpty(env[TERMINAL_TOKEN_ENV]);
  const backend: AgentBackend | undefined =
    file.backend === undefined
      ? undefined
      : {
          url: file.backend.url,
          credential,
          terminalNumber: credential === undefined ? undefined : credentialTerminal(credential),
          hotlistKeys: file.backend.hotlistKeys ?? [],
          hotlistPollMs: file.backend.hotlistPollMs,
        };
  const baseDir = sources.baseDir ?? process.cwd();
  const kiosk = file.kiosk === undefined ? undefined : { ...file.kiosk, caCertificate: path.resolve(baseDir, file.kiosk.caCertificate) };
  return { ...file, dataDir: path.resolve(baseDir, file.dataDir), backend, kiosk };
}

/**
 * The tap's fare rule for a configured fare. A zoned fare's terminals outside `terminalZones` are
 * outside the network. The config must have passed validation (throws `FareRuleError` otherwise).
 */
export function fareRuleOf(fare: FareConfig): FareRule {
  if (fare.kind === 'flat') return { kind: 'flat', amount: fare.amount };
  const zones = new Map(Object.entries(fare.terminalZones).map(([terminal, zone]) => [terminal.toUpperCase(), zone]));
  const rule: FareRule = {
    kind: 'zoned',
    zone: fare.zone,
    table: fare.table,
    entryWindowMinutes: fare.entryWindowMinutes,
    zoneOfTerminal: (terminal) => zones.get(terminal.toUpperCase()),
  };
  checkFareRule(rule);
  return rule;
}

/** Rules that span sections or depend on the mode and the environment. */
function modeIssues(file: FileConfig, env: Readonly<Record<string, string | undefined>>): string[] {
  const issues: string[] = [];
  if (file.timeZone !== undefined && !isTimeZone(file.timeZone)) issues.push(`timeZone: "${file.timeZone}" is not an IANA time zone`);
  if (file.risk.staleCapPerCard > file.risk.capPerCard) issues.push(`risk.staleCapPerCard: must not exceed risk.capPerCard (${file.risk.capPerCard})`);
  if (file.mode === 'gate') {
    if (file.gate === undefined) issues.push('gate: required in gate mode (at least { "fare": { "kind": "flat", "amount": <fen> } })');
    else if (file.gate.fare.kind === 'zoned') {
      try {
        fareRuleOf(file.gate.fare);
      } catch (err) {
        if (!(err instanceof FareRuleError)) throw err;
        issues.push(`gate.fare.${err.field}: ${err.message.replace(/^fare rule: [^:]+: /, '')}`);
      }
    }
  }
  if (file.mode === 'kiosk') {
    if (file.backend === undefined) issues.push('backend: required in kiosk mode (loads are online)');
    if (file.kiosk === undefined) issues.push('kiosk: required in kiosk mode ({ "servicePoint", "caCertificate" })');
    else if (file.kiosk.hsmSocket !== undefined && nonEmpty(env[HSM_TOKEN_ENV]) === undefined) {
      issues.push(`${HSM_TOKEN_ENV}: set it to a load client token of the HSM (kiosk.hsmSocket is set)`);
    }
  }
  if (file.mode === 'bureau') {
    if (file.bureau === undefined) issues.push('bureau: required in bureau mode ({ "station", "count", "hsmSocket" })');
    else if (file.bureau.reader === undefined && file.readers.card === undefined) issues.push('bureau.reader: name the reader holding the blank card (or readers.card)');
    if (file.backend === undefined) issues.push('backend: required in bureau mode');
    return issues;
  }
  if (file.backend !== undefined) {
    if (file.mode !== 'kiosk' && file.backend.hotlistKeys === undefined) issues.push('backend.hotlistKeys: pin the backend\'s hotlist public key (64 hex digits)');
    const token = nonEmpty(env[TERMINAL_TOKEN_ENV]);
    if (token === undefined) issues.push(`${TERMINAL_TOKEN_ENV}: set it to this terminal's credential (TERMINAL.SECRET) to reach the backend`);
    else {
      try {
        credentialTerminal(token);
      } catch (err) {
        issues.push(`${TERMINAL_TOKEN_ENV}: ${(err as Error).message}`);
      }
    }
  }
  return issues;
}

/** Paths of keys anywhere in `json` that look like secrets. */
function secretKeysIn(json: unknown, at: readonly string[] = []): string[] {
  if (Array.isArray(json)) return json.flatMap((item, i) => secretKeysIn(item, [...at, String(i)]));
  if (!isObject(json)) return [];
  return Object.entries(json).flatMap(([key, value]) => {
    const here = [...at, key];
    return (SECRET_KEYS as readonly string[]).includes(key.toLowerCase()) ? [here.join('.')] : secretKeysIn(value, here);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
