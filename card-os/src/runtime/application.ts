/**
 * An application as its author defines it in code: AID, files, PINs and the commands it adds.
 * The runtime installs it (runtime/installedApplication.ts) and routes to its commands while it
 * is selected, so a new application (the purse, the PSAM) needs no change to the runtime.
 */
import type { CommandApdu } from '@citycard/protocols';
import type { EfSpec } from '../fs/efSpec.js';
import type { PinSpec } from '../security/pinSpec.js';
import type { CommandContext } from './context.js';
import type { InstalledApplication } from './installedApplication.js';

/**
 * A command the application contributes, for one CLA and INS. It is reachable only while the
 * application is selected, and takes precedence over the runtime's ISO command of the same CLA
 * and INS. `state` is the application's volatile state (see `createVolatileState`).
 * Returns the response APDU; throws `CardError` for a status word without data.
 */
export interface AppCommand<S = unknown> {
  /** Class byte, e.g. 00 (ISO), 80 (proprietary), 84 (proprietary with MAC). */
  readonly cla: number;
  readonly ins: number;
  handle(cmd: CommandApdu, ctx: CommandContext, app: InstalledApplication, state: S): Buffer;
}

export interface Application<S = unknown> {
  /** For diagnostics, e.g. 'ID'. */
  readonly name: string;
  /** 5 to 16 bytes. */
  readonly aid: Uint8Array;
  /** FID of the application DF, if it can also be selected by FID. */
  readonly fid?: number;
  readonly files: readonly EfSpec[];
  readonly pins?: readonly PinSpec[];
  readonly commands?: readonly AppCommand<S>[];
  /**
   * Value of the `A5` proprietary template in the FCI that SELECT returns: fixed bytes, or
   * computed at each SELECT (e.g. from a file). Left out of the FCI when undefined.
   */
  readonly fciProprietary?: Uint8Array | ((ctx: CommandContext, app: InstalledApplication) => Uint8Array);
  /**
   * Status word SELECT answers with (the FCI is returned either way), e.g. `6283` for a blocked
   * application; default `9000`.
   */
  selectStatus?(ctx: CommandContext, app: InstalledApplication): number;
  /** Fresh volatile state, made at each SELECT of the application and dropped when it is left. */
  createVolatileState?(): S;
}

/** Identity function that lets TypeScript check an application's state type in one place. */
export function defineApplication<S>(app: Application<S>): Application<S> {
  return app;
}
