/** Public surface of @citycard/backend. */
export { type AppDeps, type BackendApp, createApp } from './app.js';
export { type BackendConfig, ConfigError, loadConfig } from './config.js';
export { type Db, openDatabase } from './data/db.js';
export { migrate, readMigrations, MIGRATIONS_DIR } from './data/migrate.js';
export { type ApprovalKind, type ApprovalView, Approvals } from './domain/approvals/approvals.js';
export { type AuditEntry, type AuditSink, MemoryAuditSink } from './domain/audit/auditSink.js';
export { type Role, ROLES, type StaffPrincipal } from './domain/staff/roles.js';
export { AppError } from './http/appError.js';
export type { BackendContext, RouteModule } from './http/context.js';
export { type Access, type RouteDef, RouteRegistry } from './http/routeRegistry.js';
export { type RunningServer, startServer } from './http/server.js';
