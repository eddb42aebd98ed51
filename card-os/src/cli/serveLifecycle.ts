/**
 * The life of a `serve` process (citizen card or PSAM): install the signal handlers first, so a
 * signal that follows the ready lines at once is never missed; open and start the card; print the
 * ready lines; on SIGTERM or SIGINT stop it (a second signal while stopping changes nothing).
 * Errors the operator can fix (a damaged or foreign state directory) end with exit code 2 and one
 * clear line; others propagate.
 */
import type { Logger } from 'pino';

export interface Stoppable {
  stop(): Promise<void>;
}

export interface ServeLifecycle<T extends Stoppable> {
  /** `card serve` / `psam serve`, for messages. */
  readonly command: string;
  readonly logger: Logger;
  /** Open the state and start serving. */
  start(): Promise<T>;
  /** Errors that mean "fix the state directory or the options": exit code 2, message only. */
  isOperatorError(err: unknown): boolean;
  /** Lines printed once serving (tests and the demo wait for them). */
  readyLines(served: T): readonly string[];
  /** Printed after a clean stop. */
  readonly stoppedLine: string;
}

export async function runServeLifecycle<T extends Stoppable>(life: ServeLifecycle<T>): Promise<void> {
  let requested: NodeJS.Signals | undefined;
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const handler = (signal: NodeJS.Signals): void => {
    if (requested !== undefined) return;
    requested = signal;
    onSignal?.(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  let served: T;
  try {
    served = await life.start();
  } catch (err) {
    if (life.isOperatorError(err)) {
      console.error(`citycard ${life.command}: ${(err as Error).message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  await new Promise<void>((resolve) => {
    onSignal = (signal) => {
      life.logger.info({ signal }, 'stopping');
      served.stop().then(resolve, (err: unknown) => {
        life.logger.error({ err }, 'error while stopping');
        process.exitCode = 1;
        resolve();
      });
    };
    for (const line of life.readyLines(served)) console.log(line);
    if (requested !== undefined) onSignal(requested);
  });
  console.log(life.stoppedLine);
}
