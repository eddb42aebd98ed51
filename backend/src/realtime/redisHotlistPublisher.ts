/**
 * Redis adapter of the `HotlistPublisher` port: PUBLISH of the signed one-entry delta, as raw
 * bytes, on one channel.
 */
import type { Redis } from 'ioredis';
import type { HotlistPublisher } from '../domain/hotlist/hotlistPublisher.js';

/** Default channel; deployments sharing a Redis set their own. */
export const DEFAULT_HOTLIST_CHANNEL = 'citycard:hotlist';

export class RedisHotlistPublisher implements HotlistPublisher {
  readonly #redis;
  readonly #channel;

  /** `redis` is a normal (not subscribed) connection owned by the caller. */
  constructor(redis: Redis, channel: string = DEFAULT_HOTLIST_CHANNEL) {
    this.#redis = redis;
    this.#channel = channel;
  }

  /** Throws the driver's error when Redis cannot be reached. */
  async publish(signedDelta: Buffer): Promise<void> {
    await this.#redis.publish(this.#channel, signedDelta);
  }
}
