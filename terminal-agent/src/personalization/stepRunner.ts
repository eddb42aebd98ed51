/**
 * Runs the steps of one personalization run: on the first failure it tells the HSM to forget the
 * session and throws `PersonalizationFailedError` naming the step, with the trail so far.
 */
import type { ApduChannel } from '../channel/apduChannel.js';
import type { PersonalizationSession } from './personalizationSession.js';
import { PersonalizationFailedError } from './stationErrors.js';

export class StepRunner {
  constructor(
    private readonly channel: ApduChannel,
    private readonly session: PersonalizationSession,
  ) {}

  /** Run step `name`; throws `PersonalizationFailedError` with the cause when it fails. */
  async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      await this.session.abort();
      throw new PersonalizationFailedError(name, this.channel.trail, { cause: err });
    }
  }
}
