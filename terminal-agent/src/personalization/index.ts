/** Personalization of blank cards and PSAMs, station side (docs/personalization.md §4). */
export * from './personalizationCommands.js';
export * from './stationErrors.js';
export { PersonalizationSession, type StationCustodian } from './personalizationSession.js';
export {
  CARD_KEY_IDS,
  CARD_OBJECT,
  personalizeCard,
  type CardOrder,
  type CardPersonalizationResult,
  type PurseSettings,
  type StationOptions,
} from './personalizeCard.js';
export {
  PSAM_KEY_IDS,
  PSAM_OBJECT_TERMINAL_NUMBER,
  personalizePsam,
  type PsamOrder,
  type PsamPersonalizationResult,
} from './personalizePsam.js';
