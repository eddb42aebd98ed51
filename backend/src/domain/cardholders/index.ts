export { ACCESS_PURPOSES, CITIZEN_KIOSK, readContextSchema, type AccessPurpose, type ReadContext } from './accessPurpose.js';
export {
  HOUSEHOLD_RELATIONS,
  type AccessLogEntry,
  type Cardholder,
  type CardholderKind,
  type HouseholdRelation,
} from './cardholder.js';
export { CardholderRegistry, type CardholderRegistryOptions } from './cardholderRegistry.js';
export {
  cardholderSearchSchema,
  citizenIdSchema,
  contactUpdateSchema,
  enrollCardholderSchema,
  fullNameSchema,
  type CardholderSearch,
  type ContactUpdate,
  type EnrollCardholderInput,
} from './cardholderSchema.js';
export { citizenIdBirthDate, citizenIdCheckChar, citizenIdProblem } from './citizenId.js';
export {
  CardholderNotFoundError,
  CardholderValidationError,
  DuplicateCardholderError,
  HouseholdHeadExistsError,
  type InputIssue,
} from './errors.js';
