/**
 * The card's file tree: the MF and one DF per installed application (selectable by AID, and by
 * FID when the application gives one).
 */
import type { InstalledApplication } from '../runtime/installedApplication.js';
import { Df, MF_FID } from './df.js';

export class FileSystem {
  readonly mf = new Df(MF_FID, undefined, undefined);
  private readonly apps: InstalledApplication[] = [];

  /** Add an application's DF under the MF. Throws `RangeError` for a duplicate AID or FID. */
  install(app: InstalledApplication): void {
    if (this.applicationByAid(app.aid) !== undefined) throw new RangeError(`AID ${app.aidHex} is installed twice`);
    if (app.df.fid !== undefined) this.mf.add(app.df);
    this.apps.push(app);
  }

  /** The application whose AID equals `aid` exactly. */
  applicationByAid(aid: Uint8Array): InstalledApplication | undefined {
    for (const app of this.apps) if (app.aid.equals(aid)) return app;
    return undefined;
  }

  get applications(): readonly InstalledApplication[] {
    return this.apps;
  }
}
