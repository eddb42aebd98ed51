/**
 * Work a runner keeps going while it serves taps: uploading records and following the hotlist.
 * Each task starts with the runner and stops with it; neither ever holds up a tap.
 */
import type { BatchUploader } from '../upload/batchUploader.js';
import type { HotlistSync } from '../hotlist/hotlistSync.js';

export interface BackgroundTask {
  readonly name: string;
  /** Start the work; failures go to `onFault`. Idempotent. */
  start(onFault: (error: Error) => void): void;
  /** Stop and wait until the work has stopped. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The uploader's `run` loop, after `prepare` (e.g. registering the upload key) has succeeded
 * once. A failing `prepare`, or a `run` that ends early (the store cannot be read or written),
 * goes to `onFault` and is tried again after `restartMs` (default 30 s).
 */
export function uploadTask(
  uploader: Pick<BatchUploader, 'run'>,
  options: { readonly prepare?: (signal: AbortSignal) => Promise<void>; readonly restartMs?: number } = {},
): BackgroundTask {
  let abort: AbortController | undefined;
  let running: Promise<void> | undefined;
  return {
    name: 'upload',
    start(onFault) {
      if (abort !== undefined) return;
      const controller = new AbortController();
      abort = controller;
      const { signal } = controller;
      running = (async () => {
        let prepared = options.prepare === undefined;
        while (!signal.aborted) {
          try {
            if (!prepared) {
              await options.prepare!(signal);
              prepared = true;
            }
            await uploader.run(signal);
          } catch (err) {
            if (signal.aborted) return;
            onFault(err instanceof Error ? err : new Error(String(err)));
          }
          if (signal.aborted) return;
          await pause(options.restartMs ?? 30_000, signal);
        }
      })();
    },
    async stop() {
      abort?.abort();
      await running;
    },
  };
}

/** The hotlist's stream and polls (`HotlistSync.start`); stopping closes the sync. */
export function hotlistTask(sync: Pick<HotlistSync, 'start' | 'close'>): BackgroundTask {
  let started = false;
  return {
    name: 'hotlist',
    start() {
      if (started) return;
      started = true;
      sync.start();
    },
    async stop() {
      sync.close();
    },
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
