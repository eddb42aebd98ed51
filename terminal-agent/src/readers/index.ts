export type { CardSlot, ReaderInfo, ReaderLogger, ReaderManager, ReaderManagerEvents, ReaderRole } from './readerManager.js';
export {
  CITYCARD_ATR,
  hasPsamApplication,
  roleByAtr,
  roleByName,
  type ReaderNamePattern,
  type ReaderRoleConfig,
} from './readerRoles.js';
export { SlotTransport } from './slotTransport.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { ReaderRegistry, type ReaderRegistryOptions, type ReportedCard } from './readerRegistry.js';
export { PcscReaderManager, type PcscReaderManagerOptions } from './pcscReaderManager.js';
export { InProcessReaderManager, type InProcessReaderManagerOptions } from './inProcessReaderManager.js';
