/**
 * The open hotlist SSE streams of this process and the one Redis subscription that feeds them.
 * The subscription starts with the first stream (so a backend nobody streams from never
 * connects to Redis) and is retried by the next stream when it failed. `close()` ends every
 * stream and the subscription, so shutdown does not wait for long-lived responses.
 */
import type { Response } from 'express';
import type { HotlistFanout, HotlistListener } from '../realtime/hotlistFanout.js';

/** How often an idle stream gets a comment frame, so proxies keep it open. */
export const DEFAULT_KEEPALIVE_MS = 15_000;

export interface HotlistStreamsDeps {
  /** Absent: no realtime pushes (streams carry the catch-up frame and keepalives only). */
  readonly fanout?: HotlistFanout;
  /** Called once after the fan-out stopped (quit the Redis connections). */
  readonly onClose?: () => Promise<void>;
  readonly keepaliveMs?: number;
}

export class HotlistStreams {
  readonly #deps;
  readonly #open = new Map<Response, string>();
  #started: Promise<void> | undefined;
  #closed = false;

  constructor(deps: HotlistStreamsDeps) {
    this.#deps = deps;
  }

  get keepaliveMs(): number {
    return this.#deps.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** Resolves once pushes flow (the subscription is confirmed). Throws the driver's error; the next call retries. */
  async ready(): Promise<void> {
    const { fanout } = this.#deps;
    if (fanout === undefined) return;
    this.#started ??= fanout.start().catch((err: unknown) => {
      this.#started = undefined;
      throw err;
    });
    await this.#started;
  }

  /**
   * Adds the stream of a terminal: its listener gets every push until the stream ends. Returns
   * the function that removes it.
   */
  attach(res: Response, terminalNumber: string, listener: HotlistListener): () => void {
    this.#open.set(res, terminalNumber);
    const unlisten = this.#deps.fanout?.listen(listener) ?? (() => false);
    return () => {
      unlisten();
      this.#open.delete(res);
    };
  }

  /** Ends the streams of one terminal (disabled, or its credential rotated). */
  endFor(terminalNumber: string): void {
    for (const [res, owner] of this.#open) if (owner === terminalNumber) res.end();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ends every open stream, stops the subscription, then runs `onClose`. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const res of this.#open.keys()) res.end();
    this.#open.clear();
    try {
      if (this.#started !== undefined) await this.#deps.fanout?.stop();
    } catch {
      // The connection may already be gone; quitting it below is all that is left to do.
    } finally {
      await this.#deps.onClose?.();
    }
  }
}
