/**
 * Backend settings: defaults, then CITYCARD_BACKEND_* environment variables, then explicit
 * overrides (CLI flags). Everything is validated by one zod schema; an invalid value throws
 * {@link ConfigError} naming every bad setting.
 */
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z.object({
  /** Loopback by default: exposing the backend is a deliberate act. */
  host: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65_535).default(8080),
  dataDir: z.string().min(1).default('.citycard/backend'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted JSON body, bytes (1 kB..1 MB). */
  bodyLimitBytes: int(1024, 1_048_576).default(65_536),
  sessionIdleMinutes: int(1, 24 * 60).default(8 * 60),
  sessionAbsoluteMinutes: int(1, 7 * 24 * 60).default(12 * 60),
  loginMaxFailuresPerAccount: int(1, 1000).default(5),
  loginMaxFailuresPerIp: int(1, 10_000).default(20),
  loginLockoutMinutes: int(1, 24 * 60).default(15),
  approvalTtlMinutes: int(1, 30 * 24 * 60).default(24 * 60),
  /** How long shutdown waits for in-flight requests before cutting connections. */
  shutdownGraceSeconds: int(0, 600).default(10),
  /** Honour X-Forwarded-For (only behind a reverse proxy you run). */
  trustProxy: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .default(false),
  /**
   * Redis for realtime hotlist pushes and identity-verification nonces; '' turns pushes off
   * (terminals then poll) and keeps nonces in SQLite.
   */
  redisUrl: z.union([z.literal(''), z.string().regex(/^rediss?:\/\/\S+$/, 'must be redis://host:port or rediss://…')]).default('redis://127.0.0.1:6379'),
  /** Pub/sub channel of hotlist pushes; deployments sharing a Redis set their own. */
  redisHotlistChannel: z.string().regex(/^[A-Za-z0-9:._-]{1,100}$/).default('citycard:hotlist'),
  /** Key prefix of identity nonces in Redis; deployments sharing a Redis set their own. */
  redisNonceKeyPrefix: z.string().regex(/^[A-Za-z0-9:._-]{1,100}$/).default('citycard:nonce:'),
  /** How often expired nonces are deleted from SQLite (when nonces are kept there). */
  noncePurgeIntervalSeconds: int(1, 24 * 3600).default(60),
});

export type BackendConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variable for each setting. */
export const CONFIG_ENV: Record<keyof BackendConfig, string> = {
  host: 'CITYCARD_BACKEND_HOST',
  port: 'CITYCARD_BACKEND_PORT',
  dataDir: 'CITYCARD_BACKEND_DATA_DIR',
  logLevel: 'CITYCARD_BACKEND_LOG_LEVEL',
  bodyLimitBytes: 'CITYCARD_BACKEND_BODY_LIMIT_BYTES',
  sessionIdleMinutes: 'CITYCARD_BACKEND_SESSION_IDLE_MINUTES',
  sessionAbsoluteMinutes: 'CITYCARD_BACKEND_SESSION_ABSOLUTE_MINUTES',
  loginMaxFailuresPerAccount: 'CITYCARD_BACKEND_LOGIN_MAX_FAILURES',
  loginMaxFailuresPerIp: 'CITYCARD_BACKEND_LOGIN_MAX_FAILURES_PER_IP',
  loginLockoutMinutes: 'CITYCARD_BACKEND_LOGIN_LOCKOUT_MINUTES',
  approvalTtlMinutes: 'CITYCARD_BACKEND_APPROVAL_TTL_MINUTES',
  shutdownGraceSeconds: 'CITYCARD_BACKEND_SHUTDOWN_GRACE_SECONDS',
  trustProxy: 'CITYCARD_BACKEND_TRUST_PROXY',
  redisUrl: 'CITYCARD_BACKEND_REDIS_URL',
  redisHotlistChannel: 'CITYCARD_BACKEND_REDIS_HOTLIST_CHANNEL',
  redisNonceKeyPrefix: 'CITYCARD_BACKEND_REDIS_NONCE_KEY_PREFIX',
  noncePurgeIntervalSeconds: 'CITYCARD_BACKEND_NONCE_PURGE_INTERVAL_SECONDS',
};

/** A setting that failed validation; the message lists each one with its variable name. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Resolves the settings.
 * @throws ConfigError when any value is out of range or of the wrong type.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<ConfigInput> = {},
): BackendConfig {
  const fromEnv: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(CONFIG_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = configSchema.safeParse({ ...fromEnv, ...defined });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const name = CONFIG_ENV[key as keyof BackendConfig];
      return `${key}${name === undefined ? '' : ` (${name})`}: ${i.message}`;
    });
    throw new ConfigError(`invalid backend settings: ${lines.join('; ')}`);
  }
  const config = parsed.data;
  if (config.sessionIdleMinutes > config.sessionAbsoluteMinutes) {
    throw new ConfigError('invalid backend settings: sessionIdleMinutes exceeds sessionAbsoluteMinutes');
  }
  return config;
}
