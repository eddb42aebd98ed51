/**
 * The express application factory: builds the services over an open, migrated database, lets
 * every route module declare its routes on one registry, and mounts them behind the common
 * middleware (security headers, request log, JSON body limit) and the central error handler.
 * Nothing listens here, so tests drive it directly.
 */
import { generateKeyPairSync } from 'node:crypto';
import express, { type Express } from 'express';
import pino, { type Logger } from 'pino';
import type { BackendConfig } from './config.js';
import type { Db } from './data/db.js';
import { HotlistRepository } from './data/hotlistRepository.js';
import { HOTLIST_SIGNING_KEY_FILE, SigningKeyHolder, type SigningKeyPair, loadOrCreateSigningKey } from './data/hotlistSigningKey.js';
import { StaffApprovalRepository } from './data/staffApprovalRepository.js';
import { StaffLoginThrottleRepository } from './data/staffLoginThrottleRepository.js';
import { StaffRepository } from './data/staffRepository.js';
import { StaffSessionRepository } from './data/staffSessionRepository.js';
import { Approvals } from './domain/approvals/approvals.js';
import { defineHotlistKeyCeremony } from './domain/approvals/hotlistKeyCeremony.js';
import { defineRefundKind } from './domain/approvals/refundKind.js';
import type { AuditSink } from './domain/audit/auditSink.js';
import { AuditLog } from './domain/audit/auditLog.js';
import { CardholderRegistry } from './domain/cardholders/cardholderRegistry.js';
import { defineCardApprovalKinds } from './domain/cards/approvalKinds.js';
import { CardDesk } from './domain/cards/cardDesk.js';
import { CardLifecycle } from './domain/cards/cardLifecycle.js';
import { Hotlist } from './domain/hotlist/hotlist.js';
import type { HotlistPublisher } from './domain/hotlist/hotlistPublisher.js';
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
import { createHotlistRealtime, createTerminalServices } from './http/terminalServices.js';
import { ClearingPipeline } from './queue/clearingPipeline.js';

export interface AppDeps {
  config: BackendConfig;
  /** Open and migrated (see openDatabase, migrate). */
  db: Db;
  logger?: Logger;
  clock?: Clock;
  audit?: AuditSink;
  /**
   * Signs hotlist messages; default DATA_DIR/hotlist-signing-key.pem (created on first start),
   * or a throw-away key for an in-memory database.
   */
  hotlistSigningKey?: SigningKeyPair;
  /** Pushes each hotlist change to online terminals; absent: terminals poll. */
  hotlistPublisher?: HotlistPublisher;
  /** Uploads to the clearing queue; default one on config.redisUrl with the default settings, connecting on first use. */
  clearing?: ClearingPipeline;
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
  // --- hotlist pushes over Redis (engineer E): the publisher the Hotlist below uses ---
  const realtime = createHotlistRealtime(config, logger);
  const hotlistPublisher = deps.hotlistPublisher ?? realtime.publisher;
  // --- end engineer E block ---
  // --- cardholders, card lifecycle and hotlist (engineer D) ---
  // A given key or an in-memory database's key lives in memory only; a rotation replaces the file otherwise.
  const hotlistKey = deps.hotlistSigningKey !== undefined || db.memory
    ? new SigningKeyHolder(deps.hotlistSigningKey ?? generateKeyPairSync('ed25519'))
    : new SigningKeyHolder(loadOrCreateSigningKey(config.dataDir, HOTLIST_SIGNING_KEY_FILE), { dataDir: config.dataDir, fileName: HOTLIST_SIGNING_KEY_FILE });
  const hotlist = new Hotlist({
    repository: new HotlistRepository(db),
    // Read for every message, so a key ceremony's rotation signs the next one.
    get signingKey() {
      return hotlistKey.current.privateKey;
    },
    ...(hotlistPublisher === undefined ? {} : { publisher: hotlistPublisher }),
    onPublishError: (err, entry) => logger.warn({ err, version: entry.version }, 'hotlist push failed; terminals catch up on their next fetch'),
    now: clock,
  });
  const cards = new CardLifecycle(db, audit, { clock });
  const cardholders = new CardholderRegistry(db, audit, { clock });
  const approvals = new Approvals(new StaffApprovalRepository(db), audit, config.approvalTtlMinutes, clock);
  defineHotlistKeyCeremony(approvals, { key: hotlistKey, audit, clock });
  defineRefundKind(approvals);
  const cardDesk = new CardDesk(cards, hotlist, approvals);
  defineCardApprovalKinds(approvals, {
    desk: cardDesk,
    // The requester's role when the approval executes: someone disabled meanwhile holds none.
    roleOf: (id) => {
      const s = staffRepo.byId(id);
      return s === undefined || s.disabled ? undefined : s.role;
    },
  });
  // --- end engineer D block ---
  // --- terminals, SSE streams and identity verification (engineer E) ---
  const terminalServices = createTerminalServices({ config, db, logger, audit, now: clock, cardholders, realtime });
  // --- end engineer E block ---
  const context: BackendContext = {
    config,
    db,
    logger,
    clock,
    audit,
    staff: new StaffAccounts(staffRepo, sessionRepo, audit, clock),
    sessions: new StaffSessions(staffRepo, sessionRepo, throttle, audit, { idleMinutes: config.sessionIdleMinutes, absoluteMinutes: config.sessionAbsoluteMinutes }, clock),
    approvals,
    cardholders,
    cards,
    cardDesk,
    hotlist,
    get hotlistPublicKey() {
      return hotlistKey.current.publicKey;
    },
    terminalServices,
    clearing: deps.clearing ?? new ClearingPipeline({ db, logger, redisUrl: config.redisUrl }),
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
