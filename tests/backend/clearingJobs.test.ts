/**
 * Clearing job data: id ranges (compress, merge, split), deterministic job ids, validation of
 * what comes back from Redis, and the pipeline settings.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../backend/src/config.js';
import { ClearingJobDataError, jobIdOf, mergeRanges, parseJobData, rangesOf, spanOf } from '../../backend/src/queue/clearingJobs.js';
import { chunkRanges } from '../../backend/src/queue/clearingProducer.js';
import { loadClearingSettings } from '../../backend/src/queue/clearingSettings.js';
import { renderReclearBar } from '../../backend/src/queue/reclearProgress.js';

describe('id ranges', () => {
  it('compresses sorted ids into runs', () => {
    expect(rangesOf([1, 2, 3, 7, 9, 10])).toEqual([[1, 3], [7, 7], [9, 10]]);
    expect(rangesOf([])).toEqual([]);
  });

  it('merges touching and overlapping ranges in any order', () => {
    expect(mergeRanges([[501, 1000], [1, 500], [1003, 1004], [990, 1001]])).toEqual([[1, 1001], [1003, 1004]]);
  });

  it('splits ranges into chunks of at most N ids, in order', () => {
    expect(chunkRanges([[1, 5], [8, 9], [20, 26]], 4)).toEqual([[[1, 4]], [[5, 5], [8, 9], [20, 20]], [[21, 24]], [[25, 26]]]);
    expect(chunkRanges([[1, 4]], 4)).toEqual([[[1, 4]]]);
    expect(spanOf([[1, 5], [8, 9]])).toBe(7);
  });
});

describe('job ids', () => {
  it('are fixed by the ranges: first, last, count and SHA-256 of the ranges as JSON, [[1,3],[7,7]]', () => {
    expect(jobIdOf('sweep', [[1, 3], [7, 7]])).toBe('sweep-1-7-4-a64a980d');
    expect(jobIdOf('sweep', [[1, 3], [7, 7]])).toBe(jobIdOf('sweep', [[1, 3], [7, 7]]));
    // Same first, last and count, other rows: another id.
    expect(jobIdOf('sweep', [[1, 2], [6, 7]])).not.toBe(jobIdOf('sweep', [[1, 3], [7, 7]]));
    expect(jobIdOf('rows', [[1, 500]])).toMatch(/^rows-1-500-500-[0-9a-f]{8}$/);
  });
});

describe('job data from Redis', () => {
  it('accepts ranges and an optional scope', () => {
    expect(parseJobData({ ranges: [[1, 2]], scope: 'all' })).toEqual({ ranges: [[1, 2]], scope: 'all' });
  });

  it.each([
    ['no ranges', { ranges: [] }],
    ['a reversed range', { ranges: [[5, 4]] }],
    ['id 0', { ranges: [[0, 4]] }],
    ['a float', { ranges: [[1.5, 4]] }],
    ['an unknown scope', { ranges: [[1, 4]], scope: 'some' }],
    ['an extra key', { ranges: [[1, 4]], rows: [] }],
    ['not an object', 'ranges'],
  ])('refuses %s', (_what, data) => {
    expect(() => parseJobData(data)).toThrow(ClearingJobDataError);
  });
});

describe('settings', () => {
  it('defaults, then variables, then flags', () => {
    expect(loadClearingSettings({})).toEqual({ queuePrefix: 'citycard', jobRows: 4000, concurrency: 2, graceSeconds: 60, sweepIntervalSeconds: 30, lockSeconds: 30, worker: 'embedded' });
    const s = loadClearingSettings({ CITYCARD_CLEARING_JOB_ROWS: '5000', CITYCARD_HSM_SOCKET: '/run/hsm.sock', CITYCARD_CLEARING_WORKER: 'off' }, { jobRows: 1000 });
    expect([s.jobRows, s.hsmSocket, s.worker]).toEqual([1000, '/run/hsm.sock', 'off']);
  });

  it('names every bad setting with its variable', () => {
    expect(() => loadClearingSettings({ CITYCARD_CLEARING_QUEUE_PREFIX: 'a:b', CITYCARD_CLEARING_CONCURRENCY: '0' })).toThrow(
      new ConfigError('invalid clearing settings: queuePrefix (CITYCARD_CLEARING_QUEUE_PREFIX): letters, digits, . _ - (no ":"); concurrency (CITYCARD_CLEARING_CONCURRENCY): Too small: expected number to be >=1'),
    );
  });
});

describe('re-clear progress bar', () => {
  it('fills by rows and never overflows', () => {
    expect(renderReclearBar({ rows: 200, rowsDone: 70, jobs: 4, jobsDone: 1, jobsFailed: 0 }, 20)).toBe('[#######.............]  70/200 rows  jobs 1/4  failed 0');
    expect(renderReclearBar({ rows: 10, rowsDone: 12, jobs: 1, jobsDone: 1, jobsFailed: 0 }, 10)).toBe('[##########] 10/10 rows  jobs 1/1  failed 0');
  });
});
