/**
 * Records cleared per second, summed over every worker process: one Redis counter per second
 * (`PREFIX:clearing-stats:records:UNIXSECOND`, kept 3 minutes), so any process can read the
 * rate of the last minute. A lost increment only makes the gauge read low; nothing depends on it.
 */
import type { Redis } from 'ioredis';

/** Seconds the rate is averaged over. */
export const RATE_WINDOW_SECONDS = 60;
const KEEP_SECONDS = 180;

export class ThroughputMeter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #clock: () => Date;

  constructor(redis: Redis, prefix: string, clock: () => Date = () => new Date()) {
    this.#redis = redis;
    this.#prefix = `${prefix}:clearing-stats:records:`;
    this.#clock = clock;
  }

  /** Counts `records` cleared now. Throws the driver's error when Redis cannot be reached. */
  async add(records: number): Promise<void> {
    if (records <= 0) return;
    const key = this.#prefix + this.#second();
    await this.#redis.multi().incrby(key, records).expire(key, KEEP_SECONDS).exec();
  }

  /** Records per second over the last RATE_WINDOW_SECONDS complete seconds. Throws as add. */
  async perSecond(): Promise<number> {
    const now = this.#second();
    const keys = Array.from({ length: RATE_WINDOW_SECONDS }, (_, i) => this.#prefix + (now - 1 - i));
    const values = await this.#redis.mget(keys);
    const total = values.reduce((sum, v) => sum + (v === null ? 0 : Number(v)), 0);
    return total / RATE_WINDOW_SECONDS;
  }

  #second(): number {
    return Math.floor(this.#clock().getTime() / 1000);
  }
}
