export type { CardTransport } from './cardTransport.js';
export { PcscAdapter, PCSC_RECEIVE_BUFFER, type PcscAdapterOptions } from './pcscAdapter.js';
export { PcscContext, assertPcscdReachable, pcscdSocketPath, type PcscContextEvents } from './pcscContext.js';
export { listPcscReaders } from './listReaders.js';
export { isCardPresent, isCardUsable, cardEventCount, type PcscReaderStatus } from './pcscState.js';
export { mapPcscError, pcscErrorCode, isCommFailure } from './pcscErrors.js';
export { InProcessAdapter, type InProcessCard } from './inProcessAdapter.js';
