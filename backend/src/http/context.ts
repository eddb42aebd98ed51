/**
 * What route modules receive: the registry to declare routes on, and the backend's shared
 * services. A route module is a function; the list of modules is in routes.ts.
 */
import type { Logger } from 'pino';
import type { BackendConfig } from '../config.js';
import type { Db } from '../data/db.js';
import type { KeyObject } from 'node:crypto';
import type { Approvals } from '../domain/approvals/approvals.js';
import type { AuditSink } from '../domain/audit/auditSink.js';
import type { CardholderRegistry } from '../domain/cardholders/cardholderRegistry.js';
import type { CardDesk } from '../domain/cards/cardDesk.js';
import type { CardLifecycle } from '../domain/cards/cardLifecycle.js';
import type { Hotlist } from '../domain/hotlist/hotlist.js';
import type { Clock } from '../domain/staff/clock.js';
import type { StaffAccounts } from '../domain/staff/staffAccounts.js';
import type { StaffSessions } from '../domain/staff/sessions.js';
import type { ClearingPipeline } from '../queue/clearingPipeline.js';
import type { RouteRegistry } from './routeRegistry.js';
import type { TerminalServices } from './terminalServices.js';

export interface BackendContext {
  config: BackendConfig;
  db: Db;
  logger: Logger;
  clock: Clock;
  audit: AuditSink;
  staff: StaffAccounts;
  sessions: StaffSessions;
  approvals: Approvals;
  // Cardholders, cards and the hotlist (engineer D).
  cardholders: CardholderRegistry;
  cards: CardLifecycle;
  /** Card actions with their hotlist effects and dual-control requests. */
  cardDesk: CardDesk;
  hotlist: Hotlist;
  /** Public half of the hotlist signing key (Ed25519), for terminals. */
  hotlistPublicKey: KeyObject;
  /** Terminals, merchants, hotlist SSE streams and identity verification (engineer E). */
  terminalServices: TerminalServices;
  /** Uploads to the clearing queue, and the clearing status (backend/src/queue). */
  clearing: ClearingPipeline;
}

/** Declares a group of routes (and maps its domain errors, defines its approval kinds). */
export type RouteModule = (registry: RouteRegistry, ctx: BackendContext) => void;
