/**
 * `KioskBackend` over the backend's HTTP API with the kiosk's terminal credential
 * (`Authorization: Bearer TERMINAL.SECRET`):
 *
 * ```
 * POST /api/v1/identity/nonces          { servicePoint }                 → { nonce, expiresAt }
 * POST /api/v1/identity/verifications   { servicePoint, nonce, cardNumber, certificate, signature }
 *                                                                          → { assertion, expiresAt, cardholder }
 * GET  /api/v1/identity/public-key                                        → { alg, publicKey }
 * POST /api/v1/kiosk/access-log         { assertion }                    → { entries }
 * ```
 * Throws `BackendUnreachableError` when the request fails, times out, or the answer is a 5xx or
 * not the JSON expected; `BackendRefusedError` for a 4xx with the backend's error code.
 */
import type { KeyObject } from 'node:crypto';
import { ed25519PublicKeyFromRaw, fromHex, toHex } from '@citycard/protocols';
import {
  type AccessLogEntryView,
  type AccessorView,
  BackendRefusedError,
  BackendUnreachableError,
  type IdentityProofRequest,
  type IdentityVerdict,
  type KioskBackend,
} from './kioskBackend.js';

export interface HttpKioskBackendOptions {
  /** Base URL of the backend, e.g. `https://citycard.example.gov`. */
  readonly url: string;
  /** This kiosk's terminal credential `TERMINAL.SECRET`. */
  readonly credential: string;
  /** Per-request time limit, ms (default 5000). */
  readonly timeoutMs?: number | undefined;
}

type Json = Record<string, unknown>;

export class HttpKioskBackend implements KioskBackend {
  readonly #base: URL;
  readonly #credential: string;
  readonly #timeoutMs: number;
  #publicKey: KeyObject | undefined;

  /** Throws `TypeError` for a URL that does not parse. */
  constructor(options: HttpKioskBackendOptions) {
    this.#base = new URL(options.url);
    this.#credential = options.credential;
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  async issueNonce(servicePoint: string): Promise<{ nonce: Buffer; expiresAt: string }> {
    const body = await this.#call('POST', '/api/v1/identity/nonces', { servicePoint });
    const nonce = stringField(body, 'nonce');
    if (!/^[0-9A-Fa-f]{64}$/.test(nonce)) throw new BackendUnreachableError('the backend answered a nonce that is not 32 bytes');
    return { nonce: fromHex(nonce), expiresAt: stringField(body, 'expiresAt') };
  }

  async verifyIdentity(proof: IdentityProofRequest): Promise<IdentityVerdict> {
    const body = await this.#call('POST', '/api/v1/identity/verifications', {
      servicePoint: proof.servicePoint,
      nonce: toHex(proof.nonce),
      cardNumber: proof.cardNumber,
      certificate: Buffer.from(proof.certificate).toString('base64'),
      signature: toHex(proof.signature),
    });
    const holder = body['cardholder'];
    if (typeof holder !== 'object' || holder === null) throw new BackendUnreachableError('the backend answered no cardholder');
    return {
      assertion: stringField(body, 'assertion'),
      expiresAt: stringField(body, 'expiresAt'),
      cardholder: { id: stringField(holder as Json, 'id'), name: stringField(holder as Json, 'name') },
    };
  }

  async assertionPublicKey(): Promise<KeyObject> {
    if (this.#publicKey !== undefined) return this.#publicKey;
    const body = await this.#call('GET', '/api/v1/identity/public-key');
    const raw = stringField(body, 'publicKey');
    if (body['alg'] !== 'Ed25519' || !/^[0-9A-Fa-f]{64}$/.test(raw)) {
      throw new BackendUnreachableError('the backend answered no Ed25519 assertion key');
    }
    this.#publicKey = ed25519PublicKeyFromRaw(fromHex(raw));
    return this.#publicKey;
  }

  async accessLog(assertion: string): Promise<readonly AccessLogEntryView[]> {
    const body = await this.#call('POST', '/api/v1/kiosk/access-log', { assertion });
    const entries = body['entries'];
    if (!Array.isArray(entries)) throw new BackendUnreachableError('the backend answered no access log');
    return entries.map((e: unknown) => {
      const entry = (typeof e === 'object' && e !== null ? e : {}) as Json;
      return { at: stringField(entry, 'at'), purpose: stringField(entry, 'purpose'), accessor: accessorOf(entry['accessor']) };
    });
  }

  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Json> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#credential}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(new URL(path, this.#base), {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new BackendUnreachableError(`${method} ${path}: the backend cannot be reached`, { cause: err });
    }
    let json: unknown;
    try {
      const text = await res.text();
      json = text === '' ? {} : JSON.parse(text);
    } catch (err) {
      throw new BackendUnreachableError(`${method} ${path}: the backend answered ${res.status} without JSON`, { cause: err });
    }
    if (res.status >= 500) throw new BackendUnreachableError(`${method} ${path}: the backend answered ${res.status}`);
    if (!res.ok) {
      const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof error?.code === 'string' ? error.code : 'ERROR';
      const message = typeof error?.message === 'string' ? error.message : res.statusText;
      throw new BackendRefusedError(res.status, code, message);
    }
    if (typeof json !== 'object' || json === null) throw new BackendUnreachableError(`${method} ${path}: the answer is not a JSON object`);
    return json as Json;
  }
}

function stringField(body: Json, name: string): string {
  const value = body[name];
  if (typeof value !== 'string') throw new BackendUnreachableError(`the backend's answer has no ${name}`);
  return value;
}

function accessorOf(value: unknown): AccessorView {
  const a = (typeof value === 'object' && value !== null ? value : {}) as Json;
  if (a['kind'] === 'staff' && typeof a['role'] === 'string') return { kind: 'staff', role: a['role'] };
  if (a['kind'] === 'terminal' && typeof a['terminalNumber'] === 'string') return { kind: 'terminal', terminalNumber: a['terminalNumber'] };
  if (a['kind'] === 'kiosk') return { kind: 'kiosk' };
  return { kind: 'other' };
}
