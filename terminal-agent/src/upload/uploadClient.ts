/**
 * The backend's upload routes over HTTP (fetch), authenticated with the terminal credential
 * `TERMINAL.SECRET`. Each call either answers or throws UploadRejectedError (a permanent 4xx) or
 * UploadUnavailableError (no answer, 408, 429, 5xx, or an answer that is not what was asked).
 */
import type { SignedUploadBatch, UploadKeyProof } from './batchSigning.js';
import { UploadRejectedError, UploadUnavailableError } from './uploadErrors.js';

export const BATCHES_PATH = '/api/v1/terminal/self/batches';
export const UPLOAD_KEY_PATH = '/api/v1/terminal/self/upload-key';

/** The backend's acknowledgement: every record of the batch is in its inbox. */
export interface BatchAck {
  readonly batchId: string;
  /** Records stored by this batch, conflict rows included. */
  readonly accepted: number;
  /** Records the inbox already held (e.g. re-sent after a crash): not stored twice. */
  readonly duplicates: number;
  /** Of `accepted`, records stored as conflicts of another record with the same natural key. */
  readonly conflicts: number;
}

export interface UploadKeyRegistration {
  readonly terminal: string;
  readonly alg: 'Ed25519';
  readonly publicKey: string;
  readonly registeredAt: string;
  /** False when the backend held this key already. */
  readonly changed: boolean;
}

export interface UploadClientOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  readonly backendUrl: string;
  /** `TERMINAL.SECRET`. */
  readonly credential: string;
  /** Per request, ms; default 30 s. */
  readonly timeoutMs?: number;
  /** Default the global fetch. */
  readonly fetch?: typeof fetch;
}

// Statuses a later retry can fix: timeout, rate limit, server trouble.
const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);

export class UploadClient {
  readonly #options: UploadClientOptions;

  constructor(options: UploadClientOptions) {
    this.#options = options;
  }

  /** POST a signed batch; answers the ack. @throws UploadRejectedError, UploadUnavailableError. */
  async postBatch(batch: SignedUploadBatch, signal?: AbortSignal): Promise<BatchAck> {
    const json = await this.#send('POST', BATCHES_PATH, batch, batch.batchId, signal);
    const ack = json as Partial<BatchAck> | undefined;
    const counts = [ack?.accepted, ack?.duplicates, ack?.conflicts];
    if (
      ack?.batchId !== batch.batchId ||
      !counts.every((n) => Number.isInteger(n) && (n as number) >= 0) ||
      (ack.accepted as number) + (ack.duplicates as number) !== batch.records.length
    ) {
      throw new UploadUnavailableError(`the answer to batch ${batch.batchId} is not its ack`, 200);
    }
    return { batchId: ack.batchId, accepted: ack.accepted as number, duplicates: ack.duplicates as number, conflicts: ack.conflicts as number };
  }

  /** PUT the upload key proof. @throws UploadRejectedError, UploadUnavailableError. */
  async putUploadKey(proof: UploadKeyProof, signal?: AbortSignal): Promise<UploadKeyRegistration> {
    const json = (await this.#send('PUT', UPLOAD_KEY_PATH, proof, undefined, signal)) as Partial<UploadKeyRegistration> | undefined;
    if (json?.publicKey !== proof.publicKey) throw new UploadUnavailableError('the answer to the key registration does not name the key', 200);
    return json as UploadKeyRegistration;
  }

  async #send(method: string, path: string, body: unknown, batchId: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 30_000);
    let res: Response;
    let text: string;
    try {
      res = await (this.#options.fetch ?? fetch)(new URL(path, this.#options.backendUrl), {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#options.credential}` },
        body: JSON.stringify(body),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      text = await res.text();
    } catch (err) {
      // The caller's own abort is not an outage: let it through as it is.
      if (signal?.aborted === true) throw signal.reason;
      throw new UploadUnavailableError(`the backend cannot be reached: ${(err as Error).message}`, 0, undefined, { cause: err });
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch (err) {
      if (res.ok) throw new UploadUnavailableError(`the backend answered ${res.status} with a body that is not JSON`, res.status, undefined, { cause: err });
    }
    if (res.ok) return json;
    const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`;
    const message = typeof error?.message === 'string' ? error.message : res.statusText;
    if (TRANSIENT.has(res.status)) {
      throw new UploadUnavailableError(`the backend answered ${res.status} ${code}: ${message}`, res.status, retryAfter(res.headers.get('retry-after')));
    }
    throw new UploadRejectedError(`the backend refused ${method} ${path} (${res.status} ${code}): ${message}`, res.status, code, batchId);
  }
}

/** Retry-After in seconds (the only form the backend sends), as ms; undefined otherwise. */
function retryAfter(header: string | null): number | undefined {
  if (header === null || !/^[0-9]{1,6}$/.test(header)) return undefined;
  return Number(header) * 1000;
}
