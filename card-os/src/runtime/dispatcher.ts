/**
 * Routes a command APDU to its handler and turns whatever it throws into status bytes.
 *
 * Routing, in this order:
 *   1. fewer than 4 bytes: `6700`;
 *   2. the selected application's command for this CLA and INS (CLA 00, 80, 84, ...);
 *   3. CLA 00: the ISO command table by INS, else `6D00`;
 *   4. a CLA some installed application uses (at least 80 and 84): `6D00`; any other CLA: `6E00`.
 * The APDU is parsed (lengths checked: `6700`) only once a handler is found, so a wrong CLA or
 * INS is reported before a wrong length, as ISO 7816-4 orders its checks.
 *
 * After a `StorageError` (an I/O failure or a power loss inside a commit) the PersistentStore
 * must not be used again, so from then on every command answers `6581` until the card is rebuilt
 * over a reopened store.
 */
import { parseCommandApdu, SW } from '@citycard/protocols';
import { StorageError } from '../storage/index.js';
import type { CommandContext, CommandHandler } from './context.js';
import { statusWordOf } from './errorStatus.js';
import { status } from './response.js';

/** Class bytes reserved for applications' proprietary commands (plain and MACed). */
export const PROPRIETARY_CLASSES: readonly number[] = [0x80, 0x84];

export class Dispatcher {
  private readonly knownClasses = new Set<number>(PROPRIETARY_CLASSES);
  private failure: StorageError | undefined = undefined;

  constructor(
    private readonly ctx: CommandContext,
    /** Handlers of CLA 00 indexed by INS (256 entries). */
    private readonly isoCommands: readonly (CommandHandler | undefined)[],
    /** Told about every error that became `6F00` (a bug); must not throw. */
    private readonly onInternalError: (err: unknown) => void = () => {},
  ) {
    for (const app of ctx.fs.applications) for (const cla of app.classes()) this.knownClasses.add(cla);
  }

  /** The storage failure that made the card answer `6581` to everything, if any. */
  get storageFailure(): StorageError | undefined {
    return this.failure;
  }

  /** Process one command APDU. Never throws: every input gets a response ending in a status word. */
  process(apdu: Uint8Array): Buffer {
    if (this.failure !== undefined) return status(SW.MEMORY_FAILURE);
    const session = this.ctx.session;
    session.commandCount++;
    try {
      if (apdu.length < 4) return status(SW.WRONG_LENGTH);
      const cla = apdu[0]!;
      const ins = apdu[1]!;
      const app = session.app;
      if (app !== undefined) {
        const command = app.command(cla, ins);
        if (command !== undefined) return command.handle(parseCommandApdu(apdu), this.ctx, app, session.appState);
      }
      if (cla === 0x00) {
        const handler = this.isoCommands[ins];
        if (handler === undefined) return status(SW.INS_NOT_SUPPORTED);
        return handler(parseCommandApdu(apdu), this.ctx);
      }
      return status(this.knownClasses.has(cla) ? SW.INS_NOT_SUPPORTED : SW.CLA_NOT_SUPPORTED);
    } catch (err) {
      return this.fail(err);
    }
  }

  private fail(err: unknown): Buffer {
    const sw = statusWordOf(err);
    if (sw !== undefined) {
      if (err instanceof StorageError) {
        this.failure = err;
        this.ctx.session.reset();
      }
      return status(sw);
    }
    this.ctx.session.reset();
    try {
      this.onInternalError(err);
    } catch {
      // The hook is for observation only; the card still answers.
    }
    return status(SW.NO_PRECISE_DIAGNOSIS);
  }
}
