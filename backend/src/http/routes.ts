/**
 * Every route module of the backend, in mount order. Add a module here to serve its routes and
 * list them in the OpenAPI document (docs/openapi.json is checked against it by a test).
 */
import { approvalRoutes } from './approvalRoutes.js';
import type { RouteModule } from './context.js';
import { coreErrors } from './coreErrors.js';
import { authRoutes } from './authRoutes.js';
import { staffRoutes } from './staffRoutes.js';
import { systemRoutes } from './systemRoutes.js';

export const ROUTE_MODULES: readonly RouteModule[] = [coreErrors, systemRoutes, authRoutes, staffRoutes, approvalRoutes];
