export * from './errors.js';
export * from './issuanceJob.js';
export { DEFAULT_ORDER_SETTINGS, buildOrder, type OrderSettings } from './issuanceOrder.js';
export {
  IssuanceJobs,
  type CompletionReport,
  type CreateJobOptions,
  type FailureReport,
  type IssuanceActor,
  type IssuanceJobsOptions,
} from './issuanceJobs.js';
