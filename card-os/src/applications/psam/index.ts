/** The PSAM application: definition, store keys, command handlers' constants. */
export { PSAM_INS, PSAM_TERMINAL_EF, psamApplication } from './psamApplication.js';
export {
  MAX_TTSN,
  PSAM_AID,
  PSAM_AID_HEX,
  PSAM_KEY_LENGTH,
  PSAM_LIFECYCLE_KEY,
  PSAM_MAMK_KEY,
  PSAM_TERMINAL_EF_FID,
  PSAM_TERMINAL_EF_SFI,
  PSAM_TERMINAL_NUMBER_KEY,
  PSAM_TTSN_KEY,
  TERMINAL_NUMBER_LENGTH,
  TTSN_LENGTH,
  encodeTtsn,
  isPsamPersonalized,
  psamMpkKey,
  storedTerminalNumber,
  storedTtsn,
} from './psamStore.js';
export { ALG_3DES, MAC1_REQUEST_LENGTH, MAC1_RESPONSE_LENGTH, parseMac1Request } from './mac1ForPurchase.js';
export type { PurchaseMac1Request } from './mac1ForPurchase.js';
export { MAINTENANCE_HEADERS, MAINTENANCE_REQUEST_LENGTH } from './maintenanceMacCommand.js';
export type { PendingPurchase, PsamState } from './psamState.js';
