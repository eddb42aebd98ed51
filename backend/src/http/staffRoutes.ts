/** Staff account administration (admin only). */
import { z } from 'zod';
import { SYSTEM_ACTOR } from '../domain/staff/staffAccounts.js';
import type { RouteModule } from './context.js';
import { displayNameSchema, roleSchema, staffViewSchema, usernameSchema } from './staffSchemas.js';

const ADMIN = { roles: ['admin'] as const };
const byName = z.strictObject({ username: usernameSchema });

export const staffRoutes: RouteModule = (registry, ctx) => {
  registry.add({
    method: 'get',
    path: '/api/v1/staff',
    summary: 'List staff accounts',
    tags: ['staff'],
    access: ADMIN,
    response: z.object({ staff: z.array(staffViewSchema) }),
    handler: () => ({ staff: ctx.staff.list() }),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/staff',
    summary: 'Create a staff account; answers its one-time password once',
    tags: ['staff'],
    access: ADMIN,
    status: 201,
    body: z.strictObject({ username: usernameSchema, displayName: displayNameSchema, role: roleSchema }),
    response: z.object({ staff: staffViewSchema, oneTimePassword: z.string() }),
    handler: ({ body, staff }) => ctx.staff.create(body, staff?.id ?? SYSTEM_ACTOR),
  });
  registry.add({
    method: 'patch',
    path: '/api/v1/staff/:username',
    summary: 'Change role, display name or disabled flag',
    tags: ['staff'],
    access: ADMIN,
    params: byName,
    body: z
      .strictObject({ role: roleSchema.optional(), displayName: displayNameSchema.optional(), disabled: z.boolean().optional() })
      .refine((b) => Object.keys(b).length > 0, 'give at least one of role, displayName, disabled'),
    response: staffViewSchema,
    handler: ({ params, body, staff }) => {
      const change = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
      return staff && ctx.staff.update(params.username, change, staff);
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/staff/:username/password-reset',
    summary: 'Replace a password with a one-time password (ends that account’s sessions)',
    tags: ['staff'],
    access: ADMIN,
    params: byName,
    response: z.object({ oneTimePassword: z.string() }),
    handler: async ({ params, staff }) => ({ oneTimePassword: await ctx.staff.resetPassword(params.username, staff?.id ?? SYSTEM_ACTOR) }),
  });
};
