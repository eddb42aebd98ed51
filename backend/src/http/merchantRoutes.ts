/** Merchant registration (admin, supervisor) and listing (also auditor). */
import { z } from 'zod';
import type { RouteModule } from './context.js';
import { merchantInputSchema, merchantViewSchema } from './terminalSchemas.js';

const REGISTRARS = { roles: ['supervisor', 'admin'] as const };
const READERS = { roles: ['supervisor', 'auditor', 'admin'] as const };

export const merchantRoutes: RouteModule = (registry, ctx) => {
  const { terminals } = ctx.terminalServices;
  registry.add({
    method: 'post',
    path: '/api/v1/merchants',
    summary: 'Register a merchant',
    tags: ['terminals'],
    access: REGISTRARS,
    status: 201,
    body: merchantInputSchema,
    response: merchantViewSchema,
    handler: ({ body, staff }) => staff && terminals.registerMerchant(body, staff.id),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/merchants',
    summary: 'List merchants',
    tags: ['terminals'],
    access: READERS,
    response: z.object({ merchants: z.array(merchantViewSchema) }),
    handler: () => ({ merchants: terminals.listMerchants() }),
  });
};
