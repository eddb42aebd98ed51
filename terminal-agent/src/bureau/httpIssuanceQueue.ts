/**
 * The issuance queue over the backend's HTTP API (`/api/v1/issuance/...`), signed in with a
 * bearer token (a clerk session until terminal credentials exist). Throws `IssuanceQueueError`
 * for a refusal (with the backend's code) or when the backend cannot be reached (status 0).
 */
import { toHex } from '@citycard/protocols';
import type { ClaimedIssuanceJob, IssuanceFailure, IssuanceQueue, IssuanceSuccess } from './issuanceQueue.js';
import { IssuanceQueueError } from './issuanceQueue.js';

export interface HttpIssuanceQueueOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  readonly token: string;
  /** This station's name, 1-64 of [A-Za-z0-9._-]. */
  readonly station: string;
  /** Per request, default 10 s. */
  readonly timeoutMs?: number;
}

export class HttpIssuanceQueue implements IssuanceQueue {
  readonly #options: HttpIssuanceQueueOptions;

  constructor(options: HttpIssuanceQueueOptions) {
    this.#options = options;
  }

  async claim(): Promise<ClaimedIssuanceJob | undefined> {
    const answer = await this.#post('/api/v1/issuance/claims', { station: this.#options.station });
    return answer === undefined ? undefined : (answer as ClaimedIssuanceJob);
  }

  async complete(job: ClaimedIssuanceJob, result: IssuanceSuccess): Promise<void> {
    await this.#post(`/api/v1/issuance/jobs/${encodeURIComponent(job.jobId)}/complete`, {
      claimToken: job.claimToken,
      cardNumber: result.cardNumber,
      csn: toHex(result.csn),
      certificate: toHex(result.certificate),
    });
  }

  async fail(job: ClaimedIssuanceJob, failure: IssuanceFailure): Promise<void> {
    await this.#post(`/api/v1/issuance/jobs/${encodeURIComponent(job.jobId)}/fail`, {
      claimToken: job.claimToken,
      step: failure.step.slice(0, 100),
      reason: failure.reason.slice(0, 300),
      retryable: failure.retryable,
    });
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.#options.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#options.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new IssuanceQueueError(`the backend cannot be reached: ${(err as Error).message}`, 0, undefined, { cause: err });
    }
    if (res.status === 204) return undefined;
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (err) {
      throw new IssuanceQueueError(`the backend answered ${res.status} with a body that is not JSON`, res.status, undefined, { cause: err });
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new IssuanceQueueError(`the backend refused ${path}: ${error?.message ?? res.statusText}`, res.status, error?.code);
    }
    return json;
  }
}
