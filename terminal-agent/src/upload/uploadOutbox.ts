/**
 * The port the uploader reads records from (issue 5, contract 3). RecordStore implements it:
 * records stay in the store after upload; only their upload mark changes.
 */
import type { PurseRecord } from '../store/recordStore.js';

export interface UploadOutbox {
  /** Up to `limit` records not yet acknowledged by the backend, oldest first, with their store ids. */
  unuploaded(limit: number): { id: number; record: PurseRecord }[];
  /** Marks records acknowledged in batch `batchId`, all or none. */
  markUploaded(ids: readonly number[], batchId: string): void;
  /** How many records wait for upload. */
  uploadBacklog(): number;
}
