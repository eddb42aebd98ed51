/** The terminal's durable store of purse records and purchase intents. */
export { RecordStore, type RecordStoreOptions, type PurseRecord, type OutboxEntry } from './recordStore.js';
export type { StoredIntent, IntentStatus, IntentResolution } from './storedIntent.js';
export { STORE_SCHEMA_VERSION } from './storeSchema.js';
export { StoreVersionError, IntentNotFoundError, IntentStateError, IntentMismatchError, RecordNotFoundError } from './storeErrors.js';
