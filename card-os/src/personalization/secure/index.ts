/**
 * Personalization of blank cards and PSAMs, card side (docs/personalization.md): the factory step
 * (`manufactureBlankCard`), the card manager behind `ManagedCard`, and the table of what PUT KEY
 * and STORE DATA write.
 */
export {
  CARD_MANAGER_PREFIX,
  CARD_CSN_KEY,
  CSN_LENGTH,
  CARD_LIFECYCLE,
  CARD_LIFECYCLE_KEY,
  CARD_PROFILE_KEY,
  TEST_MTRK,
  CARD_TRANSPORT_KEY,
  TRANSPORT_KEY_LENGTH,
  cardLifecycle,
  cardProfileOf,
  chipSerialNumber,
  isBlankCard,
  manufactureBlankCard,
  transportKeyFor,
} from './blankCard.js';
export type { BlankCardSpec, CardProfileKind, Lifecycle } from './blankCard.js';
export { StoreNotEmptyError } from './errors.js';
export { ManagedCard } from './managedCard.js';
export { CardManager, PERSONALIZATION_INS, isPersonalizationCommand } from './cardManager.js';
export { SecureChannel, SM_BLOCK, SM_CLA } from './secureChannel.js';
export type { ChannelPhase, UnwrappedCommand } from './secureChannel.js';
export {
  CITIZEN_CARD_PROFILE,
  PERSONALIZATION_PROFILES,
  PSAM_PROFILE,
  missingForEnd,
} from './personalizationTable.js';
export type { KeySlot, ObjectSlot, PersonalizationProfile } from './personalizationTable.js';
export { KEY_PAIR_MODULUS_LENGTH } from './generateKeyPair.js';
