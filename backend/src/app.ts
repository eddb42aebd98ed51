/**
 * The express application factory: builds the services over an open, migrated database, lets
 * every route module declare its routes on one registry, and mounts them behind the common
 * middleware (security headers, request log, JSON body limit) and the central error handler.
 * Nothing listens here, so tests drive it directly.
 */
import express, { type Express } from 'express';
import pino, { type Logger } from 'pino';
import type { BackendConfig } from './config.js';
import type { Db } from './data/db.js';
import { StaffApprovalRepository } from './data/staffApprovalRepository.js';
import { StaffLoginThrottleRepository } from './data/staffLoginThrottleRepository.js';
import { StaffRepository } from './data/staffRepository.js';
import { StaffSessionRepository } from './data/staffSessionRepository.js';
import { Approvals } from './domain/approvals/approvals.js';
import type { AuditSink } from './domain/audit/auditSink.js';
import { AuditLog } from './domain/audit/auditLog.js';
import { type Clock, systemClock } from './domain/staff/clock.js';
import { LoginThrottle } from './domain/staff/loginThrottle.js';
import { StaffSessions } from './domain/staff/sessions.js';
import { StaffAccounts } from './domain/staff/staffAccounts.js';
import type { BackendContext, RouteModule } from './http/context.js';
import { errorHandler, notFoundHandler } from './http/errorHandler.js';
import { requestLog } from './http/requestLog.js';
import { RouteRegistry } from './http/routeRegistry.js';
import { ROUTE_MODULES } from './http/routes.js';
import { securityHeaders } from './http/securityHeaders.js';

export interface AppDeps {
  config: BackendConfig;
  /** Open and migrated (see openDatabase, migrate). */
  db: Db;
  logger?: Logger;
  clock?: Clock;
  audit?: AuditSink;
  /** Route modules to mount; default every module of the backend. */
  routes?: readonly RouteModule[];
}

export interface BackendApp {
  app: Express;
  registry: RouteRegistry;
  context: BackendContext;
}

export function createApp(deps: AppDeps): BackendApp {
  const { config, db } = deps;
  const logger = deps.logger ?? pino({ level: 'silent' });
  const clock = deps.clock ?? systemClock;
  // Every privileged action goes to the hash-chained, append-only audit log in the same database.
  const audit = deps.audit ?? new AuditLog(db);
  const staffRepo = new StaffRepository(db);
  const sessionRepo = new StaffSessionRepository(db);
  const throttle = new LoginThrottle(
    new StaffLoginThrottleRepository(db),
    { maxFailuresPerAccount: config.loginMaxFailuresPerAccount, maxFailuresPerIp: config.loginMaxFailuresPerIp, lockoutMinutes: config.loginLockoutMinutes },
    clock,
  );
  const context: BackendContext = {
    config,
    db,
    logger,
    clock,
    audit,
    staff: new StaffAccounts(staffRepo, sessionRepo, audit, clock),
    sessions: new StaffSessions(staffRepo, sessionRepo, throttle, audit, { idleMinutes: config.sessionIdleMinutes, absoluteMinutes: config.sessionAbsoluteMinutes }, clock),
    approvals: new Approvals(new StaffApprovalRepository(db), audit, config.approvalTtlMinutes, clock),
  };

  const registry = new RouteRegistry();
  for (const module of deps.routes ?? ROUTE_MODULES) module(registry, context);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  app.use(securityHeaders);
  app.use(requestLog(logger));
  app.use(express.json({ limit: config.bodyLimitBytes, strict: true }));
  const router = express.Router();
  registry.mount(router, { authenticateStaff: (token) => context.sessions.authenticate(token) });
  app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(registry, logger, config.bodyLimitBytes));
  return { app, registry, context };
}
