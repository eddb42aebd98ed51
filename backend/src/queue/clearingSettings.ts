/**
 * Settings of the clearing pipeline: defaults, then CITYCARD_CLEARING_* (and CITYCARD_HSM_SOCKET)
 * variables, then explicit overrides (CLI flags). The Redis URL is the backend's own
 * (CITYCARD_BACKEND_REDIS_URL); the HSM token is read from CITYCARD_HSM_TOKEN only, never a flag,
 * so it stays out of process listings.
 */
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { DEFAULT_JOB_ROWS } from './clearingJobs.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const clearingSettingsSchema = z.object({
  /** BullMQ key prefix; the backend and every worker process must share it. */
  queuePrefix: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - (no ":")').default('citycard'),
  /** Rows per job: big enough to amortize one HSM batch and one transaction, small enough to retry cheaply. */
  jobRows: int(1, 50_000).default(DEFAULT_JOB_ROWS),
  /** Jobs one worker process runs at once: one in its SQLite transaction while others await the HSM. */
  concurrency: int(1, 64).default(2),
  /** Age of a 'received' row before an interval sweep re-enqueues it. */
  graceSeconds: int(0, 24 * 3600).default(60),
  sweepIntervalSeconds: int(1, 24 * 3600).default(30),
  /** Job lock: a worker killed mid-job has its job run again after about this long (up to twice it). */
  lockSeconds: int(1, 600).default(30),
  /** `backend serve` runs a worker in its own process ('embedded') or leaves clearing to `clearing-worker` processes. */
  worker: z.enum(['embedded', 'off']).default('embedded'),
  /** The HSM's unix socket; without it `serve` runs no worker. */
  hsmSocket: z.string().min(1).optional(),
});

export type ClearingSettings = z.infer<typeof clearingSettingsSchema>;
export type ClearingSettingsInput = z.input<typeof clearingSettingsSchema>;

export const CLEARING_ENV: Record<keyof ClearingSettings, string> = {
  queuePrefix: 'CITYCARD_CLEARING_QUEUE_PREFIX',
  jobRows: 'CITYCARD_CLEARING_JOB_ROWS',
  concurrency: 'CITYCARD_CLEARING_CONCURRENCY',
  graceSeconds: 'CITYCARD_CLEARING_GRACE_SECONDS',
  sweepIntervalSeconds: 'CITYCARD_CLEARING_SWEEP_SECONDS',
  lockSeconds: 'CITYCARD_CLEARING_LOCK_SECONDS',
  worker: 'CITYCARD_CLEARING_WORKER',
  hsmSocket: 'CITYCARD_HSM_SOCKET',
};

/** The variable holding the `clearing` HSM client's token. */
export const HSM_TOKEN_ENV = 'CITYCARD_HSM_TOKEN';

/**
 * Resolves the settings.
 * @throws ConfigError naming every bad setting and its variable.
 */
export function loadClearingSettings(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<ClearingSettingsInput> = {},
): ClearingSettings {
  const fromEnv: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(CLEARING_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const parsed = clearingSettingsSchema.safeParse({ ...fromEnv, ...defined });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const name = CLEARING_ENV[key as keyof ClearingSettings];
      return `${key}${name === undefined ? '' : ` (${name})`}: ${i.message}`;
    });
    throw new ConfigError(`invalid clearing settings: ${lines.join('; ')}`);
  }
  return parsed.data;
}
