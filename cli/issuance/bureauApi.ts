/**
 * The backend calls of `bureau issue-batch` besides the issuance queue itself: who the token
 * signs in as, queueing approved cards as a batch, and a batch's progress. Each throws
 * `StationSetupError` (with the cause) when the backend cannot be reached or refuses.
 */
import { StationSetupError } from './stationSetupError.js';

/** The staff member a session token belongs to. */
export interface StaffIdentity {
  readonly username: string;
  readonly role: string;
}

export interface QueuedBatch {
  readonly batchId: string;
  readonly jobIds: readonly string[];
}

export class BureauApi {
  constructor(
    /** e.g. `http://127.0.0.1:8080`. */
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  me(): Promise<StaffIdentity> {
    return this.#call<StaffIdentity>('GET', '/api/v1/auth/me');
  }

  /** Queue up to `count` (1-10,000) approved cards that have no job yet. */
  queueBatch(count: number): Promise<QueuedBatch> {
    return this.#call<QueuedBatch>('POST', '/api/v1/issuance/batches', { count });
  }

  batchProgress(batchId: string): Promise<Record<string, number>> {
    return this.#call<Record<string, number>>('GET', `/api/v1/issuance/batches/${encodeURIComponent(batchId)}`);
  }

  async #call<T>(method: string, route: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(route, this.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new StationSetupError(`the backend at ${this.baseUrl} cannot be reached: ${(err as Error).message}`, { cause: err });
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch (err) {
      throw new StationSetupError(`the backend answered ${method} ${route} with ${res.status} and a body that is not JSON`, { cause: err });
    }
    if (!res.ok) {
      const message = (json as { error?: { message?: string } } | undefined)?.error?.message ?? res.statusText;
      throw new StationSetupError(`the backend refused ${method} ${route} (${res.status}): ${message}`);
    }
    return json as T;
  }
}
