/**
 * Volatile security state of one power session: what is selected, which PINs were verified, the
 * last challenge. Cleared by power off, reset and SELECT of an application (spec §1); nothing
 * here is ever persisted.
 */
import type { Df } from '../fs/df.js';
import type { Ef } from '../fs/ef.js';
import type { InstalledApplication } from './installedApplication.js';

export class Session {
  /** The MF or the selected application's DF. */
  currentDf: Df;
  /** The selected application, if any. */
  app: InstalledApplication | undefined = undefined;
  /** Volatile state of the selected application (its `createVolatileState()`), if any. */
  appState: unknown = undefined;
  /** The current EF (set by SELECT, and by READ BINARY/RECORD with an SFI). */
  currentEf: Ef | undefined = undefined;
  /** Commands processed in this power session; GET CHALLENGE ties its challenge to the next one. */
  commandCount = 0;
  private readonly verified = new Set<number>();
  private challenge: Buffer | undefined = undefined;
  private challengeAt = -1;

  constructor(private readonly mf: Df) {
    this.currentDf = mf;
  }

  /** Power on, power off, reset: the MF is selected and every security status is gone. */
  reset(): void {
    this.enter(this.mf, undefined);
    this.commandCount = 0;
  }

  /** SELECT of an application (even the one already selected): a fresh security state. */
  enterApplication(app: InstalledApplication): void {
    this.enter(app.df, app);
    this.appState = app.definition.createVolatileState?.();
  }

  /** SELECT of the MF: the application is left. */
  enterMf(): void {
    this.enter(this.mf, undefined);
  }

  isVerified(ref: number): boolean {
    return this.verified.has(ref);
  }

  setVerified(ref: number, verified: boolean): void {
    if (verified) this.verified.add(ref);
    else this.verified.delete(ref);
  }

  /** Remember a challenge for the next command only. */
  issueChallenge(challenge: Buffer): void {
    this.challenge = challenge;
    this.challengeAt = this.commandCount;
  }

  /**
   * The challenge issued by the command just before this one, consumed: a second call, or a call
   * from any later command, returns undefined.
   */
  takeChallenge(): Buffer | undefined {
    const fresh = this.challengeAt === this.commandCount - 1 ? this.challenge : undefined;
    this.challenge = undefined;
    this.challengeAt = -1;
    return fresh;
  }

  private enter(df: Df, app: InstalledApplication | undefined): void {
    this.currentDf = df;
    this.app = app;
    this.appState = undefined;
    this.currentEf = undefined;
    this.verified.clear();
    this.challenge = undefined;
    this.challengeAt = -1;
  }
}
