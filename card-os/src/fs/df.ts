/**
 * A dedicated file: the MF (3F00) or an application's DF. It indexes its children by FID and its
 * EFs by SFI; the application that owns it, if any, is `app`.
 */
import type { InstalledApplication } from '../runtime/installedApplication.js';
import type { Ef } from './ef.js';

export const MF_FID = 0x3f00;

export class Df {
  readonly type = 'df' as const;
  private readonly byFid = new Map<number, Df | Ef>();
  // Index = SFI (1 to 30), so READ BINARY/RECORD by SFI is one array load.
  private readonly bySfi: (Ef | undefined)[] = new Array<Ef | undefined>(32).fill(undefined);

  constructor(
    /** FID, or undefined for an application DF selectable by AID only. */
    readonly fid: number | undefined,
    /** The owning application; undefined for the MF. */
    readonly app: InstalledApplication | undefined,
    readonly parent: Df | undefined,
  ) {}

  /** Add a child. Throws `RangeError` when its FID or SFI is already taken in this DF. */
  add(child: Df | Ef): void {
    if (child.fid !== undefined) {
      if (this.byFid.has(child.fid) || child.fid === this.fid) {
        throw new RangeError(`FID ${hex4(child.fid)} is already used in DF ${this.describe()}`);
      }
      this.byFid.set(child.fid, child);
    }
    if (child.type !== 'df' && child.sfi !== undefined) {
      if (this.bySfi[child.sfi] !== undefined) {
        throw new RangeError(`SFI ${child.sfi} is already used in DF ${this.describe()}`);
      }
      this.bySfi[child.sfi] = child;
    }
  }

  childByFid(fid: number): Df | Ef | undefined {
    return this.byFid.get(fid);
  }

  /** The EF with short identifier `sfi` (any number; undefined outside 1..30 or when absent). */
  efBySfi(sfi: number): Ef | undefined {
    return this.bySfi[sfi];
  }

  private describe(): string {
    return this.fid === undefined ? (this.app?.name ?? '?') : hex4(this.fid);
  }
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
