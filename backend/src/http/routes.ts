/**
 * Every route module of the backend, in mount order. Add a module here to serve its routes and
 * list them in the OpenAPI document (docs/openapi.json is checked against it by a test).
 */
import { approvalRoutes } from './approvalRoutes.js';
import { auditRoutes } from './auditRoutes.js';
import { cardRoutes } from './cardRoutes.js';
import { cardholderRoutes } from './cardholderRoutes.js';
import { clearingRoutes } from './clearingRoutes.js';
import { consoleRoutes } from './consoleRoutes.js';
import type { RouteModule } from './context.js';
import { hotlistRoutes } from './hotlistRoutes.js';
import { identityRoutes } from './identityRoutes.js';
import { kioskRoutes } from './kioskRoutes.js';
import { merchantRoutes } from './merchantRoutes.js';
import { terminalRoutes } from './terminalRoutes.js';
import { coreErrors } from './coreErrors.js';
import { authRoutes } from './authRoutes.js';
import { staffRoutes } from './staffRoutes.js';
import { systemRoutes } from './systemRoutes.js';
import { issuanceRoutes } from './issuanceRoutes.js';
import { uploadRoutes } from './uploadRoutes.js';

export const ROUTE_MODULES: readonly RouteModule[] = [coreErrors, systemRoutes, authRoutes, staffRoutes, approvalRoutes, auditRoutes, consoleRoutes, issuanceRoutes,
  terminalRoutes, merchantRoutes, hotlistRoutes, identityRoutes, kioskRoutes,
  cardholderRoutes, cardRoutes, uploadRoutes, clearingRoutes];
