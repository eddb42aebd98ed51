/**
 * @citycard/card-os: the virtual card OS. `VirtualCard` (a `SmartCard`) runs installed
 * applications over a `PersistentStore`; the ID application and its personalization ship here;
 * the runtime, file system and PIN pieces are exported so further applications (purse, PSAM)
 * can be defined outside the runtime.
 */
export type { SmartCard } from './smartCard.js';
export { VirtualCard } from './virtualCard.js';
export type { VirtualCardOptions } from './virtualCard.js';
export { buildAtr, hasValidTck, CITYCARD_HISTORICAL_BYTES } from './atr.js';

// Runtime: how applications plug in.
export { CardError } from './runtime/cardError.js';
export { defineApplication } from './runtime/application.js';
export type { AppCommand, Application } from './runtime/application.js';
export type { CommandContext, CommandHandler } from './runtime/context.js';
export { InstalledApplication } from './runtime/installedApplication.js';
export { Session } from './runtime/session.js';
export { StoreTransaction } from './runtime/transaction.js';
export { respond, status } from './runtime/response.js';
export { systemRandom } from './runtime/random.js';
export type { RandomSource } from './runtime/random.js';
export { statusWordOf } from './runtime/errorStatus.js';
export { PROPRIETARY_CLASSES } from './runtime/dispatcher.js';

// File system.
export { ALWAYS, NEVER, accessStatus, customCondition, pinVerified } from './fs/accessCondition.js';
export type { AccessCondition } from './fs/accessCondition.js';
export type { EfAccess, EfSpec, RecordEfSpec, TransparentEfSpec } from './fs/efSpec.js';
export type { Ef } from './fs/ef.js';
export { Df, MF_FID } from './fs/df.js';
export { FileSystem } from './fs/fileSystem.js';
export { TransparentEf } from './fs/transparentEf.js';
export { RecordEf } from './fs/recordEf.js';
export { appValueKey, dfPrefix, efKey, pinTriesKey, pinValueKey, secretKeyKey } from './fs/storeKeys.js';

// Commands and PINs.
export { INS } from './commands/isoCommands.js';
export { SW_INCOMPATIBLE_FILE, SW_NO_CURRENT_EF, SW_REFERENCE_NOT_FOUND } from './commands/isoStatus.js';
export { PinObject } from './security/pinObject.js';
export { encodePinBlock, isWellFormedPinBlock, PIN_BLOCK_LENGTH } from './security/pinSpec.js';
export type { PinSpec } from './security/pinSpec.js';

// Applications.
export {
  ID_CARD_INFO_EF,
  ID_CARD_KEY_NAME,
  ID_CARDHOLDER_EF,
  ID_CERTIFICATE_EF,
  ID_DF_FID,
  ID_PIN,
  ID_PIN_REF,
  ID_PUK,
  ID_PUK_REF,
  idApplication,
} from './applications/id/idApplication.js';
export { CARD_KEY_BITS, CARD_SIGNATURE_LENGTH } from './applications/id/cardKey.js';

// Personalization.
export { AlreadyPersonalizedError, PersonalizationError } from './personalization/errors.js';
export {
  ID_LIFECYCLE_KEY,
  LIFECYCLE_OPERATIONAL,
  isIdPersonalized,
  personalizeIdApplication,
} from './personalization/idPersonalization.js';
export type {
  CardCertificateIssuer,
  CardCertificateRequest,
  IdPersonalization,
  IdPersonalizationResult,
} from './personalization/idPersonalization.js';
export { TEST_PROFILE, isPersonalized, personalizeTestProfile } from './personalization/testProfile.js';
export type { TestProfileOptions } from './personalization/testProfile.js';

// Persistent storage and the vpcd transport.
export * from './storage/index.js';
export * from './vpcd/index.js';

// PSAM application (terminals' SAM slot).
export * from './applications/psam/index.js';
export { PSAM_TEST_PROFILE, personalizePsamTestProfile, terminalNumberBytes } from './personalization/psamTestProfile.js';
export type { PsamTestProfileOptions } from './personalization/psamTestProfile.js';

// EP application (electronic purse).
export * from './applications/ep/index.js';
export { EP_TEST_PROFILE, personalizeEpTestProfile } from './personalization/epTestProfile.js';
export type { EpTestProfileOptions } from './personalization/epTestProfile.js';

// Personalization of blank cards and PSAMs (secure messaging with the HSM).
export * from './personalization/secure/index.js';
