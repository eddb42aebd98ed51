/**
 * The two backend routes a terminal reads the hotlist from (docs/hotlist.md), with its terminal
 * credential as `Authorization: Bearer TERMINAL.SECRET`:
 *
 * - `GET /api/v1/hotlist?since=<version>`: one signed message, `application/octet-stream`;
 * - `GET /api/v1/hotlist/stream?since=<version>`: server-sent events, a catch-up frame then pushes.
 *
 * Both throw `HotlistFetchError`: status 0 when the backend cannot be reached or does not answer
 * in time, else the HTTP status and the backend's error code.
 */
import { HotlistFetchError } from './hotlistErrors.js';

export interface HotlistEndpoint {
  /** e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string | URL;
  /** The terminal credential `TERMINAL.SECRET`. */
  readonly credential: string;
}

/** The signed update from `since` (0..2^32-1) as raw bytes, unverified. */
export async function fetchHotlistUpdate(endpoint: HotlistEndpoint, since: number, timeoutMs: number, signal?: AbortSignal): Promise<Buffer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const res = await request(endpoint, `/api/v1/hotlist?since=${since}`, 'application/octet-stream', signal === undefined ? timeout : AbortSignal.any([signal, timeout]));
  try {
    return Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throw new HotlistFetchError(`the hotlist answer was cut off: ${(err as Error).message}`, 0, undefined, { cause: err });
  }
}

/**
 * Open the event stream from `since`; resolves once the backend answered 200 (the body is then
 * read by the caller until `signal` aborts it). `headersTimeoutMs` bounds the wait for that answer.
 */
export async function openHotlistStream(
  endpoint: HotlistEndpoint,
  since: number,
  headersTimeoutMs: number,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const headersDeadline = new AbortController();
  const timer = setTimeout(() => headersDeadline.abort(new DOMException('no answer in time', 'TimeoutError')), headersTimeoutMs);
  try {
    const res = await request(endpoint, `/api/v1/hotlist/stream?since=${since}`, 'text/event-stream', AbortSignal.any([signal, headersDeadline.signal]));
    if (res.body === null) throw new HotlistFetchError('the hotlist stream has no body', res.status);
    return res.body;
  } finally {
    clearTimeout(timer);
  }
}

async function request(endpoint: HotlistEndpoint, path: string, accept: string, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(new URL(path, endpoint.baseUrl), {
      headers: { authorization: `Bearer ${endpoint.credential}`, accept },
      signal,
    });
  } catch (err) {
    throw new HotlistFetchError(`the backend cannot be reached: ${(err as Error).message}`, 0, undefined, { cause: err });
  }
  if (res.ok) return res;
  let code: string | undefined;
  let detail = res.statusText;
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') detail = body.error.message;
  } catch {
    // Not the backend's JSON error (a proxy's page): the status says enough.
  }
  throw new HotlistFetchError(`the backend refused ${path.split('?')[0]}: ${res.status} ${detail}`, res.status, code);
}
