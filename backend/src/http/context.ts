/**
 * What route modules receive: the registry to declare routes on, and the backend's shared
 * services. A route module is a function; the list of modules is in routes.ts.
 */
import type { Logger } from 'pino';
import type { BackendConfig } from '../config.js';
import type { Db } from '../data/db.js';
import type { Approvals } from '../domain/approvals/approvals.js';
import type { AuditSink } from '../domain/audit/auditSink.js';
import type { Clock } from '../domain/staff/clock.js';
import type { StaffAccounts } from '../domain/staff/staffAccounts.js';
import type { StaffSessions } from '../domain/staff/sessions.js';
import type { RouteRegistry } from './routeRegistry.js';

export interface BackendContext {
  config: BackendConfig;
  db: Db;
  logger: Logger;
  clock: Clock;
  audit: AuditSink;
  staff: StaffAccounts;
  sessions: StaffSessions;
  approvals: Approvals;
}

/** Declares a group of routes (and maps its domain errors, defines its approval kinds). */
export type RouteModule = (registry: RouteRegistry, ctx: BackendContext) => void;
