/**
 * What every personalization command handler gets: the card's memory, its random source, the
 * volatile secure channel and the profile of what the blank card becomes.
 */
import type { RandomSource } from '../../runtime/random.js';
import type { PersistentStore } from '../../storage/index.js';
import type { PersonalizationProfile } from './personalizationTable.js';
import type { SecureChannel } from './secureChannel.js';

export interface ManagerContext {
  readonly store: PersistentStore;
  readonly random: RandomSource;
  readonly channel: SecureChannel;
  readonly profile: PersonalizationProfile;
}
