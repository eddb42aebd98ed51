// The city CA certificate code (createCityCa, issueCardCertificate, the test CA directory).
export * from './ca/index.js';

// What other components use: the custodian ports and their two adapters.
export type * from './custodian.js';
export { HsmClient, type HsmClientOptions } from './client/hsmClient.js';
export { LocalHsm } from './client/localHsm.js';
export * from './errors.js';

// Running an HSM.
export { hsmCommand } from './cli.js';
export { HsmCore } from './core/hsmCore.js';
export { OPERATOR, initHsm, openHsm, type HsmOptions, type InitHsmOptions } from './core/openHsm.js';
export { TEST_KEY_VERSION, TEST_MAMK, TEST_MLK, TEST_MPK, TEST_MTK, TEST_MTRK, testProfileKeys } from './core/testProfile.js';
export type { HsmProfile } from './commands/context.js';
export { TEST_PIN, TEST_PUK } from './commands/personalization.js';
export { HsmServer, type HsmServerOptions } from './server/hsmServer.js';
export type { HsmLogger } from './server/connection.js';
export { LOOPBACK_HOSTS, checkListenAddress, describeAddress, type ListenAddress } from './server/listenAddress.js';
export { ROLES, isRole, type ClientIdentity, type Role } from './auth/roles.js';
export type { KeyInfo, KeyKind, KeyUsage } from './keystore/keyRecord.js';
export type { AuditEntry, AuditOutcome } from './audit/auditLog.js';
export { FilePinMailer, type PinMailer } from './personalization/pinMailer.js';

// LMK dual control.
export { combineLmk, MIN_LMK_COMPONENTS, type Lmk } from './lmk/combine.js';
export { lmkCheckValue, parseLmkComponent, type LmkComponent } from './lmk/component.js';
export { parseLmkSource, readLmkComponents } from './lmk/sources.js';
export { TEST_LMK_COMPONENT_1, TEST_LMK_COMPONENT_2, TEST_LMK_KCV, testLmkComponents } from './lmk/testComponents.js';

// Personalization secure messaging, host side, as pure functions (docs/personalization.md).
export {
  cardCryptogram,
  externalAuthenticate,
  hostCryptogram,
  secureCommand,
  sessionKeys,
  type SecuredCommand,
  type SmKeys,
} from './personalization/secureMessaging.js';

// Benchmarks (what `citycard bench` reports).
export { measureHsm, testProfileTacChecks, type HsmBenchOptions, type HsmBenchResult } from './bench/measureHsm.js';
