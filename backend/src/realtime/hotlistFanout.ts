/**
 * One Redis subscription to the hotlist channel, fanned out to any number of listeners (one per
 * SSE client). Listeners get the signed delta bytes exactly as published; a listener that
 * throws is dropped so it cannot stop the others.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_HOTLIST_CHANNEL } from './redisHotlistPublisher.js';

export type HotlistListener = (signedDelta: Buffer) => void;

export class HotlistFanout {
  readonly #redis;
  readonly #channel;
  readonly #listeners = new Set<HotlistListener>();
  readonly #onMessage = (channel: Buffer, message: Buffer): void => {
    if (channel.toString() !== this.#channel) return;
    for (const listener of this.#listeners) {
      try {
        listener(message);
      } catch {
        this.#listeners.delete(listener);
      }
    }
  };

  /** `redis` must be a connection dedicated to this fan-out: a subscribed connection cannot run other commands. */
  constructor(redis: Redis, channel: string = DEFAULT_HOTLIST_CHANNEL) {
    this.#redis = redis;
    this.#channel = channel;
  }

  /** Subscribes; resolves once Redis confirmed. Throws the driver's error. */
  async start(): Promise<void> {
    this.#redis.on('messageBuffer', this.#onMessage);
    await this.#redis.subscribe(this.#channel);
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: HotlistListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** Unsubscribes and forgets every listener; the connection stays the caller's to quit. */
  async stop(): Promise<void> {
    this.#listeners.clear();
    this.#redis.off('messageBuffer', this.#onMessage);
    await this.#redis.unsubscribe(this.#channel);
  }
}
