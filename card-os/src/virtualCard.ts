/**
 * A virtual citizen card (or PSAM): the card OS over a PersistentStore with a set of installed
 * applications. Implements `SmartCard`, so the vpcd adapter and the in-process transport drive
 * it the same way.
 */
import type { Application } from './runtime/application.js';
import { buildAtr } from './atr.js';
import { isoCommandTable } from './commands/isoCommands.js';
import { Dispatcher } from './runtime/dispatcher.js';
import type { CommandContext } from './runtime/context.js';
import { InstalledApplication } from './runtime/installedApplication.js';
import { systemRandom, type RandomSource } from './runtime/random.js';
import { Session } from './runtime/session.js';
import { FileSystem } from './fs/fileSystem.js';
import type { PersistentStore } from './storage/index.js';
import type { SmartCard } from './smartCard.js';

export interface VirtualCardOptions {
  /** The card's persistent memory; the card does not close it. */
  readonly store: PersistentStore;
  /** Applications to install (each AID once), e.g. `[idApplication]`. */
  // Applications differ in their volatile state type; each checks its own via defineApplication.
  readonly applications: readonly Application<any>[];
  /** Random bytes for challenges; default: node:crypto. Inject a seeded one in tests. */
  readonly random?: RandomSource;
  /** ATR historical bytes (1 to 15); default `80 58 "CITYCARD"`. */
  readonly historicalBytes?: Uint8Array;
  /** Called with every error that became `6F00` (a card OS bug); must not throw. */
  readonly onInternalError?: (err: unknown) => void;
}

export class VirtualCard implements SmartCard {
  readonly atr: Buffer;
  private readonly session: Session;
  private readonly dispatcher: Dispatcher;
  private readonly fs: FileSystem;
  private powered = false;

  /**
   * Throws `RangeError` for an invalid application definition (see `InstalledApplication`), two
   * applications with one AID or FID, or bad historical bytes.
   */
  constructor(options: VirtualCardOptions) {
    this.atr = buildAtr(options.historicalBytes);
    this.fs = new FileSystem();
    for (const definition of options.applications) {
      this.fs.install(new InstalledApplication(definition, options.store, this.fs.mf));
    }
    this.session = new Session(this.fs.mf);
    const ctx: CommandContext = {
      store: options.store,
      fs: this.fs,
      session: this.session,
      random: options.random ?? systemRandom,
    };
    this.dispatcher = new Dispatcher(ctx, isoCommandTable(), options.onInternalError);
  }

  /**
   * The storage failure (I/O error or power loss in a commit) after which the card answers `6581`
   * to every command; undefined while the store works. Reopen the store and build a new card.
   */
  get storageFailure(): Error | undefined {
    return this.dispatcher.storageFailure;
  }

  /** Whether the card is powered (after `powerOn`/`reset`, until `powerOff`). */
  get isPowered(): boolean {
    return this.powered;
  }

  powerOn(): Buffer {
    this.session.reset();
    this.powered = true;
    return Buffer.from(this.atr);
  }

  powerOff(): void {
    this.session.reset();
    this.powered = false;
  }

  reset(): Buffer {
    return this.powerOn();
  }

  /**
   * Process one command APDU. A card that is not powered is powered on first (a reader powers the
   * card before it sends anything). Never throws.
   */
  transmit(command: Uint8Array): Buffer {
    if (!this.powered) this.powerOn();
    return this.dispatcher.process(command);
  }
}
