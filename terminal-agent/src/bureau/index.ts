/** Bureau mode of the station: issuance jobs from the backend, personalized through the HSM (backend/src/domain/issuance/issuanceJobs.ts). */
export * from './issuanceQueue.js';
export { HttpIssuanceQueue, type HttpIssuanceQueueOptions } from './httpIssuanceQueue.js';
export { describeFailure, issueCard, type IssueCardOptions, type IssuanceOutcome } from './issueCard.js';
export { runIssuanceBatch, type BatchProgress, type BatchResult, type IssuanceBatchOptions } from './issuanceBatch.js';
