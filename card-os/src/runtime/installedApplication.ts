/**
 * An application bound to one card: its DF with the EFs bound to the store, its PIN objects, and
 * its commands indexed by CLA and INS for the dispatcher.
 */
import { toHex } from '@citycard/protocols';
import { checkEfSpec } from '../fs/efSpec.js';
import { Df } from '../fs/df.js';
import { dfFci } from '../fs/fci.js';
import { RecordEf } from '../fs/recordEf.js';
import { TransparentEf } from '../fs/transparentEf.js';
import { appValueKey, efKey, pinTriesKey, pinValueKey, secretKeyKey } from '../fs/storeKeys.js';
import type { Ef } from '../fs/ef.js';
import type { PersistentStore } from '../storage/index.js';
import { PinObject } from '../security/pinObject.js';
import { checkPinSpec } from '../security/pinSpec.js';
import type { AppCommand, Application } from './application.js';

export class InstalledApplication {
  readonly aid: Buffer;
  /** AID in upper-case hex, as it appears in store keys. */
  readonly aidHex: string;
  readonly df: Df;
  readonly pins: ReadonlyMap<number, PinObject>;
  /** Cached FCI proprietary value when the definition gives fixed bytes. */
  readonly fixedFciProprietary: Buffer | undefined;
  private readonly commandTable = new Map<number, AppCommand<unknown>>();
  private readonly fciCache: [Buffer | undefined, Buffer | undefined] = [undefined, undefined];
  private readonly killers: PinObject[];

  /**
   * Throws `RangeError` for an AID outside 5 to 16 bytes, a bad or duplicate FID/SFI, a PIN spec
   * out of range, a PUK naming an unknown PIN, or two commands with the same CLA and INS.
   */
  constructor(
    // Applications differ in their volatile state type; each checks its own via defineApplication.
    readonly definition: Application<any>,
    store: PersistentStore,
    parent: Df,
  ) {
    if (definition.aid.length < 5 || definition.aid.length > 16) {
      throw new RangeError(`application ${definition.name}: AID must be 5 to 16 bytes`);
    }
    this.aid = Buffer.from(definition.aid);
    this.aidHex = toHex(this.aid);
    this.df = new Df(definition.fid, this, parent);
    for (const spec of definition.files) {
      checkEfSpec(spec);
      const key = efKey(this.aidHex, spec.fid);
      const ef: Ef = spec.type === 'transparent' ? new TransparentEf(spec, key, store) : new RecordEf(spec, key, store);
      this.df.add(ef);
    }
    const pins = new Map<number, PinObject>();
    for (const spec of definition.pins ?? []) {
      checkPinSpec(spec);
      if (pins.has(spec.ref)) throw new RangeError(`application ${definition.name}: PIN ${spec.ref} defined twice`);
      pins.set(spec.ref, new PinObject(spec, store, pinValueKey(this.aidHex, spec.ref), pinTriesKey(this.aidHex, spec.ref)));
    }
    for (const pin of pins.values()) {
      if (pin.spec.unblocks !== undefined && !pins.has(pin.spec.unblocks)) {
        throw new RangeError(`application ${definition.name}: ${pin.spec.label} unblocks unknown PIN ${pin.spec.unblocks}`);
      }
    }
    this.pins = pins;
    this.killers = [...pins.values()].filter((p) => p.spec.blocksApplication === true);
    for (const command of definition.commands ?? []) {
      const index = (command.cla << 8) | command.ins;
      if (this.commandTable.has(index)) {
        throw new RangeError(`application ${definition.name}: two commands for CLA ${command.cla} INS ${command.ins}`);
      }
      this.commandTable.set(index, command);
    }
    const fci = definition.fciProprietary;
    this.fixedFciProprietary = fci instanceof Uint8Array ? Buffer.from(fci) : undefined;
  }

  get name(): string {
    return this.definition.name;
  }

  /**
   * The FCI SELECT returns, built once, when it does not depend on the card's state (fixed or no
   * `fciProprietary`); undefined when the application computes it at each SELECT.
   */
  fixedFci(withFid: boolean): Buffer | undefined {
    if (typeof this.definition.fciProprietary === 'function') return undefined;
    const slot = withFid ? 1 : 0;
    return (this.fciCache[slot] ??= dfFci(this.df, this.fixedFciProprietary, withFid));
  }

  /** The application's command for this CLA and INS, if it has one. */
  command(cla: number, ins: number): AppCommand<unknown> | undefined {
    return this.commandTable.get((cla << 8) | ins);
  }

  /** Class bytes the application's commands use. */
  classes(): number[] {
    return [...new Set([...this.commandTable.keys()].map((index) => index >> 8))];
  }

  /** The reference that RESET RETRY COUNTER uses to reset `pinRef` (the PUK), if any. */
  unblockerOf(pinRef: number): PinObject | undefined {
    for (const pin of this.pins.values()) if (pin.spec.unblocks === pinRef) return pin;
    return undefined;
  }

  /** Dead for good: a personalized PIN marked `blocksApplication` (the PUK) is blocked. */
  isDead(): boolean {
    for (const pin of this.killers) if (pin.isSet() && pin.isBlocked()) return true;
    return false;
  }

  /** Store key of one of the application's own values (lifecycle, counters, ...). */
  valueKey(name: string): string {
    return appValueKey(this.aidHex, name);
  }

  /** Store key of one of the application's secret keys. */
  secretKey(name: string): string {
    return secretKeyKey(this.aidHex, name);
  }
}
