/**
 * Kiosk mode of the terminal agent: a touch-friendly local web page where a citizen checks their
 * identity with card and PIN, sees their balance and last transactions, tops up, reads who looked
 * at their data, and changes their PIN. See docs/kiosk.md.
 *
 * ```ts
 * const kiosk = await startKiosk({
 *   card: await PcscAdapter.open('Virtual PCD 00 00'),
 *   caCertificate: cityCaPem,
 *   backend: { url: 'https://backend.city.example', credential: 'TERMINAL.SECRET' },
 *   servicePoint: 'kiosk-huangpu-1',
 *   terminalNumber: '400000000001',
 *   loadCustodian: hsmLoadClient,
 * });
 * // open kiosk.url in the kiosk's browser; on shutdown: await kiosk.close()
 * ```
 */
import { HttpKioskBackend, type HttpKioskBackendOptions } from './httpKioskBackend.js';
import type { KioskBackend } from './kioskBackend.js';
import { listenKioskHttp } from './kioskHttp.js';
import { KIOSK_PAGE_DIR, loadKioskPage } from './kioskPage.js';
import { KioskService, type KioskServiceOptions } from './kioskService.js';

export { KioskService, DEFAULT_TOP_UP_AMOUNTS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_CARD_WAIT_MS, type KioskServiceOptions } from './kioskService.js';
export { type KioskCardSource, slotCardSource } from './cardSource.js';
export { HttpKioskBackend, type HttpKioskBackendOptions } from './httpKioskBackend.js';
export {
  type KioskBackend,
  type IdentityProofRequest,
  type IdentityVerdict,
  type AccessLogEntryView,
  type AccessorView,
  BackendUnreachableError,
  BackendRefusedError,
} from './kioskBackend.js';
export { KioskError, KIOSK_ERROR_STATUS, type KioskErrorCode, type KioskErrorDetails, kioskErrorOf } from './kioskErrors.js';
export type { KioskLogger } from './kioskLogger.js';
export type { KioskPhase, SessionEnd, SessionView, CardView, PinView, HolderView } from './kioskSession.js';
export type { LoadRecordSink, TopUpResult } from './kioskTopUp.js';
export type { PurseView, TransactionView } from './purseView.js';
export { checkIdentityAssertion, AssertionRejectedError, type AssertionClaims, type AssertionRejection } from './identityAssertion.js';
export { KIOSK_REQUEST_HEADER } from './kioskHttp.js';

/** Default port of the kiosk page. */
export const DEFAULT_KIOSK_PORT = 8470;

export interface KioskOptions extends Omit<KioskServiceOptions, 'backend'> {
  /** The backend: its URL and this kiosk's terminal credential, or a `KioskBackend` of one's own. */
  readonly backend: KioskBackend | HttpKioskBackendOptions;
  /** Address to bind (default 127.0.0.1: the kiosk's browser runs on the same machine). */
  readonly host?: string | undefined;
  /** Port (default 8470; 0 picks a free one). */
  readonly port?: number | undefined;
  /** Host names besides IP addresses and `localhost` the page may be opened by. */
  readonly allowedHosts?: readonly string[] | undefined;
  /** Folder of the page (default: terminal-agent/kiosk-page/). */
  readonly pageDir?: string | undefined;
}

export interface RunningKiosk {
  /** The page's address, e.g. `http://127.0.0.1:8470`. */
  readonly url: string;
  /** Stop waiting for cards, finish the operation in flight, stop the server. Leaves the card transport open. */
  close(): Promise<void>;
}

/**
 * Start the kiosk service and its page. Throws what `KioskService` throws for bad options, what
 * reading the page folder throws, and the listen error (port in use).
 */
export async function startKiosk(options: KioskOptions): Promise<RunningKiosk> {
  const backend = 'issueNonce' in options.backend ? options.backend : new HttpKioskBackend(options.backend);
  const service = new KioskService({ ...options, backend });
  const page = loadKioskPage(options.pageDir ?? KIOSK_PAGE_DIR);
  let http;
  try {
    http = await listenKioskHttp(service, {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? DEFAULT_KIOSK_PORT,
      page,
      allowedHosts: options.allowedHosts,
      logger: options.logger,
    });
  } catch (err) {
    await service.close();
    throw err;
  }
  const server = http;
  options.logger?.info({ url: server.url, servicePoint: options.servicePoint }, 'kiosk page listening');
  return {
    url: server.url,
    close: async () => {
      await service.close();
      await server.close();
    },
  };
}
