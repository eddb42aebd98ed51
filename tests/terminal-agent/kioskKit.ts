/**
 * Test kit of the kiosk suites: the backend in-process (over a temp data directory holding the
 * city CA certificate) with the kiosk routes, a kiosk terminal, cardholders and their active cards;
 * a JSON client of the kiosk API as the page calls it; a logger that keeps what it is told.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { type BackendApp, createApp } from '../../backend/src/app.js';
import { loadConfig } from '../../backend/src/config.js';
import { CardRepository } from '../../backend/src/data/cardRepository.js';
import { openDatabase } from '../../backend/src/data/db.js';
import { migrate } from '../../backend/src/data/migrate.js';
import type { CardState } from '../../backend/src/domain/cards/card.js';
import { ROUTE_MODULES } from '../../backend/src/http/routes.js';
import { CITY_CA_CERTIFICATE_FILE } from '../../backend/src/http/terminalServices.js';
import { type RunningServer, startServer } from '../../backend/src/http/server.js';
import type { KioskLogger } from '../../terminal-agent/src/kiosk/index.js';

export const KIOSK_TERMINAL = '400000000001';
export const SERVICE_POINT = 'kiosk-huangpu-1';


export interface KioskBackend {
  readonly url: string;
  /** The backend's data directory (it holds the assertion signing key). */
  readonly dataDir: string;
  /** The kiosk terminal's credential. */
  readonly credential: string;
  readonly built: BackendApp;
  /** Cardholder id of each card number given. */
  readonly holders: ReadonlyMap<string, string>;
  setCardState(cardNumber: string, from: CardState, to: CardState): void;
  close(): Promise<void>;
}

/** A backend that knows the city CA, a kiosk terminal and an active card for each `{ cardNumber, name }`. */
export async function startKioskBackend(options: {
  readonly caCertificatePem: string;
  readonly clock?: () => Date;
  readonly cards: ReadonlyArray<{ readonly cardNumber: string; readonly name: string }>;
}): Promise<KioskBackend> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'citycard-kiosk-backend-'));
  writeFileSync(path.join(dir, CITY_CA_CERTIFICATE_FILE), options.caCertificatePem);
  const db = openDatabase(dir);
  migrate(db);
  const clock = options.clock ?? (() => new Date());
  const built = createApp({ config: loadConfig({}, { dataDir: dir, redisUrl: '' }), db, clock, routes: ROUTE_MODULES });
  const { terminals } = built.context.terminalServices;
  const merchant = terminals.registerMerchant({ name: 'Huangpu service centre', category: 'public-service' }, 'test');
  const { credential } = terminals.registerTerminal({ terminalNumber: KIOSK_TERMINAL, merchantId: merchant.id, mode: 'kiosk', location: 'Hall 1' }, 'test');
  const cards = new CardRepository(db);
  const holders = new Map<string, string>();
  const at = clock().toISOString();
  for (const [i, { cardNumber, name }] of options.cards.entries()) {
    const holder = built.context.cardholders.enroll(
      { kind: 'floating', fullName: name, birthDate: '1990-03-07', address: `Room ${i + 1}, Building 3`, residencePermit: { number: `SH-2026-00${i + 100}`, expiresOn: '2030-01-31' } },
      'test',
    );
    holders.set(cardNumber, holder.id);
    cards.insert({ id: `card-${cardNumber}`, cardholderId: holder.id, state: 'active', replacesCardId: null, createdAt: at, updatedAt: at });
    cards.setCardNumber(`card-${cardNumber}`, cardNumber);
  }
  const server: RunningServer = await startServer(built.app, {
    host: '127.0.0.1',
    port: 0,
    graceSeconds: 1,
    logger: pino({ level: 'silent' }),
    onClosed: () => db.close(),
  });
  let closed = false;
  return {
    url: server.url,
    dataDir: dir,
    credential,
    built,
    holders,
    setCardState: (cardNumber, from, to) => {
      if (!cards.updateState(`card-${cardNumber}`, from, to, clock().toISOString())) throw new Error(`card ${cardNumber} is not ${from}`);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await built.context.terminalServices.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KioskAnswer {
  readonly status: number;
  readonly json: any;
}

/** Calls the kiosk API as its page does (JSON, the kiosk header on POST). */
export async function kioskCall(baseUrl: string, method: 'GET' | 'POST', route: string, body?: unknown, headers: Record<string, string> = {}): Promise<KioskAnswer> {
  const h: Record<string, string> = { accept: 'application/json' };
  if (method === 'POST') {
    h['content-type'] = 'application/json';
    h['x-citycard-kiosk'] = '1';
  }
  const res = await fetch(new URL(route, baseUrl), { method, headers: { ...h, ...headers }, body: method === 'POST' ? JSON.stringify(body ?? {}) : null });
  return { status: res.status, json: await res.json() };
}

/** A logger that keeps every entry as its JSON text. */
export class RecordingLogger implements KioskLogger {
  readonly lines: string[] = [];
  info(obj: Record<string, unknown>, msg?: string): void {
    this.#keep('info', obj, msg);
  }
  warn(obj: Record<string, unknown>, msg?: string): void {
    this.#keep('warn', obj, msg);
  }
  error(obj: Record<string, unknown>, msg?: string): void {
    this.#keep('error', obj, msg);
  }
  trace(obj: Record<string, unknown>, msg?: string): void {
    this.#keep('trace', obj, msg);
  }
  #keep(level: string, obj: Record<string, unknown>, msg: string | undefined): void {
    this.lines.push(JSON.stringify({ level, msg, ...obj }, (_k, v: unknown) => (v instanceof Error ? { message: v.message, cause: String(v.cause) } : v)));
  }
}
