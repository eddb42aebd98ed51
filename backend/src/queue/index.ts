// The clearing pipeline (docs/clearing-pipeline.md): BullMQ queue, producer, worker, sweeper, metrics.
export {
  CLEAR_ROWS_JOB,
  CLEARING_QUEUE,
  ClearingJobDataError,
  DEFAULT_JOB_ROWS,
  MAX_JOB_RANGES,
  jobIdOf,
  mergeRanges,
  parseJobData,
  rangesOf,
  spanOf,
  type ClearingJobData,
  type ClearingJobResult,
  type IdRange,
  type JobScope,
} from './clearingJobs.js';
export { addClearingCommands } from './clearingCli.js';
export { ClearingPipeline, type ClearingPipelineOptions } from './clearingPipeline.js';
export { ClearingProducer, chunkRanges, type ClearingProducerOptions } from './clearingProducer.js';
export { ClearingQueue, ClearingQueueUnavailableError, type AddOutcome, type ClearingQueueOptions, type QueueDepth } from './clearingQueue.js';
export {
  ClearingSetupError,
  checkClearingSetup,
  clearingDepsOf,
  clearingPipelineOf,
  startClearing,
  startEmbeddedClearing,
  type RunningClearing,
} from './clearingRuntime.js';
export { CLEARING_ENV, HSM_TOKEN_ENV, loadClearingSettings, type ClearingSettings, type ClearingSettingsInput } from './clearingSettings.js';
export { ClearingStatusReader, EXCEPTIONS_TABLE, type ClearingStatus, type ExceptionCount } from './clearingStatus.js';
export { startClearingWorker, type ClearingWorker, type ClearingWorkerOptions, type ClearRows } from './clearingWorker.js';
export { CLEARING_HSM_ROLE, HsmRoleError, HsmTacVerifier, type HsmTacVerifierOptions } from './hsmTacVerifier.js';
export { InboxQueries, RECEIVED } from './inboxQueries.js';
export { InboxSweeper, type InboxSweeperOptions, type SweepResult } from './inboxSweeper.js';
export { PROMETHEUS_CONTENT_TYPE, prometheusText } from './prometheusText.js';
export { ReclearPeriodError, reclearPeriod, type ReclearOptions } from './reclear.js';
export { ReclearProgress, renderReclearBar, type ReclearCounts } from './reclearProgress.js';
export { RATE_WINDOW_SECONDS, ThroughputMeter } from './throughputMeter.js';
