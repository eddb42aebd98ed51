/** Liveness and the OpenAPI document. */
import { z } from 'zod';
import type { RouteModule } from './context.js';
import { openApiDocument } from './openApi.js';

export const BACKEND_API_VERSION = '0.1.0';

export const systemRoutes: RouteModule = (registry, ctx) => {
  registry.add({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers and the database is open',
    tags: ['system'],
    access: 'public',
    response: z.object({ status: z.literal('ok') }),
    handler: () => {
      ctx.db.prepare('SELECT 1').get();
      return { status: 'ok' as const };
    },
  });
  registry.add({
    method: 'get',
    path: '/openapi.json',
    summary: 'This API described as OpenAPI 3.1',
    tags: ['system'],
    access: 'public',
    handler: () => openApiDocument(registry, BACKEND_API_VERSION),
  });
};
