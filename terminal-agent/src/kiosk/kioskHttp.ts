/**
 * The kiosk's local web server (node:http): the page and the JSON API it calls.
 *
 * ```
 * GET  /                  the page;  GET /<asset>  its scripts and style sheet
 * GET  /api/session       the session view (the page polls it: a card taken out ends the session)
 * POST /api/tap           wait for a card (long poll) and check it        → session view
 * POST /api/pin           { pin }                                          → session view
 * GET  /api/purse         balance and last transactions
 * POST /api/top-up        { amount }  fen, one of the offered amounts
 * GET  /api/access-log    who read the cardholder's data
 * POST /api/pin/change    { oldPin, newPin }
 * POST /api/end           end the session                                  → session view
 * errors: { error: { code, message, triesLeft?, reason? } } with the code's status (kioskErrors.ts)
 * ```
 * Defences, as the page runs in a browser on the same machine: a strict CSP (same-origin scripts
 * and styles, no inline code, no framing); a Host header must name an IP address, `localhost` or
 * an allowed host name (DNS rebinding); a POST must be JSON, carry `X-CityCard-Kiosk: 1` (which a
 * cross-site form cannot send) and, when the browser states an Origin, come from this origin;
 * bodies are at most 1 KiB. Request bodies (PINs) are never logged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { KioskError, kioskErrorOf } from './kioskErrors.js';
import type { KioskLogger } from './kioskLogger.js';
import type { PageAsset } from './kioskPage.js';
import { ASSET_NAME } from './kioskPage.js';
import type { KioskService } from './kioskService.js';

/** The header every POST of the page carries. */
export const KIOSK_REQUEST_HEADER = 'x-citycard-kiosk';
/** Largest request body, bytes. */
export const KIOSK_BODY_LIMIT = 1024;

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  // Answers carry the citizen's data: never cache them.
  'Cache-Control': 'no-store',
};

/** What the server needs of the kiosk's flows (`KioskService` implements it). */
export type KioskApi = Pick<KioskService, 'status' | 'tap' | 'enterPin' | 'purse' | 'topUp' | 'accessLog' | 'changePin' | 'end'>;

export interface KioskHttpOptions {
  /** Address to bind (the kiosk's browser is on the same machine: 127.0.0.1). */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly page: ReadonlyMap<string, PageAsset>;
  /** Host names besides IP addresses and `localhost` the page may be reached by. */
  readonly allowedHosts?: readonly string[] | undefined;
  readonly logger?: KioskLogger | undefined;
}

export interface KioskHttpServer {
  readonly server: http.Server;
  /** `http://host:port` the server listens on. */
  readonly url: string;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;
interface Route {
  readonly method: 'GET' | 'POST';
  readonly run: (body: Body) => Promise<unknown>;
}

function routes(api: KioskApi): ReadonlyMap<string, Route> {
  return new Map<string, Route>([
    ['/api/session', { method: 'GET', run: () => api.status() }],
    ['/api/tap', { method: 'POST', run: () => api.tap() }],
    ['/api/pin', { method: 'POST', run: (b) => api.enterPin(pinField(b, 'pin')) }],
    ['/api/purse', { method: 'GET', run: () => api.purse() }],
    ['/api/top-up', { method: 'POST', run: (b) => api.topUp(amountField(b)) }],
    ['/api/access-log', { method: 'GET', run: () => api.accessLog() }],
    ['/api/pin/change', { method: 'POST', run: (b) => api.changePin(pinField(b, 'oldPin'), pinField(b, 'newPin')) }],
    ['/api/end', { method: 'POST', run: () => api.end() }],
  ]);
}

/** Listen on `options.host:port`. Rejects with the listen error (port in use, ...). */
export async function listenKioskHttp(api: KioskApi, options: KioskHttpOptions): Promise<KioskHttpServer> {
  const table = routes(api);
  const allowed = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  const server = http.createServer((req, res) => {
    void handle(req, res, { table, allowed, page: options.page, logger: options.logger });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface HandlerContext {
  readonly table: ReadonlyMap<string, Route>;
  readonly allowed: ReadonlySet<string>;
  readonly page: ReadonlyMap<string, PageAsset>;
  readonly logger: KioskLogger | undefined;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, ctx: HandlerContext): Promise<void> {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  try {
    checkHost(req, ctx.allowed);
    if (path.startsWith('/api/')) {
      await api(req, res, path, ctx);
      return;
    }
    servePage(req, res, path, ctx.page);
  } catch (err) {
    const error = kioskErrorOf(err);
    if (error.code === 'INTERNAL') ctx.logger?.error({ method: req.method, path, err: error.cause }, 'kiosk request failed');
    else ctx.logger?.info({ method: req.method, path, status: error.status, code: error.code }, 'kiosk request refused');
    sendJson(res, error.status, { error: errorBody(error) });
  }
}

async function api(req: http.IncomingMessage, res: http.ServerResponse, path: string, ctx: HandlerContext): Promise<void> {
  const route = ctx.table.get(path);
  if (route === undefined) throw new KioskError('BAD_REQUEST', `no API ${path}`);
  if (req.method !== route.method) {
    res.setHeader('Allow', route.method);
    throw new KioskError('BAD_REQUEST', `${path} answers ${route.method} only`);
  }
  let body: Body = {};
  if (route.method === 'POST') {
    checkPostOrigin(req);
    body = await readJson(req);
  }
  sendJson(res, 200, await route.run(body));
}

function servePage(req: http.IncomingMessage, res: http.ServerResponse, path: string, page: ReadonlyMap<string, PageAsset>): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new KioskError('BAD_REQUEST', 'the page answers GET only');
  const name = path === '/' || path === '/index.html' ? 'index.html' : path.slice(1);
  const asset = name === 'index.html' || ASSET_NAME.test(name) ? page.get(name) : undefined;
  if (asset === undefined) {
    sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no page file ${path}` } });
    return;
  }
  res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}

// DNS rebinding: a hostile name resolving to 127.0.0.1 carries that name in Host; IP literals and
// localhost cannot be rebound.
function checkHost(req: http.IncomingMessage, allowed: ReadonlySet<string>): void {
  const host = req.headers.host;
  let hostname: string | undefined;
  try {
    hostname = host === undefined ? undefined : new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    hostname = undefined;
  }
  if (hostname === undefined) throw new KioskError('BAD_REQUEST', 'a Host header is required');
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 0 && bare !== 'localhost' && !allowed.has(bare)) throw new KioskError('BAD_REQUEST', `host ${hostname} is not served`);
}

function checkPostOrigin(req: http.IncomingMessage): void {
  if (req.headers[KIOSK_REQUEST_HEADER] !== '1') throw new KioskError('BAD_REQUEST', `send ${KIOSK_REQUEST_HEADER}: 1`);
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json(?:;|$)/i.test(type)) throw new KioskError('BAD_REQUEST', 'send application/json');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) throw new KioskError('BAD_REQUEST', 'cross-origin requests are refused');
}

async function readJson(req: http.IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > KIOSK_BODY_LIMIT) throw new KioskError('BAD_REQUEST', `a request body is at most ${KIOSK_BODY_LIMIT} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new KioskError('BAD_REQUEST', 'the body is not JSON', {}, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new KioskError('BAD_REQUEST', 'the body is not a JSON object');
  return parsed as Body;
}

/** A PIN field: a string of at most 16 characters (the card's rules are checked before sending). */
function pinField(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length > 16) throw new KioskError('PIN_FORMAT', 'a PIN is 4 to 8 digits');
  return value;
}

function amountField(body: Body): number {
  const value = body['amount'];
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new KioskError('TOPUP_AMOUNT', 'the amount is a whole number of fen');
  return value;
}

function errorBody(error: KioskError): Record<string, unknown> {
  return { code: error.code, message: error.message, ...error.details };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
