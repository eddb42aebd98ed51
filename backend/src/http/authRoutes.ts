/** Sign in, sign out, who am I, change my password. */
import { z } from 'zod';
import { ROLES } from '../domain/staff/roles.js';
import type { RouteModule } from './context.js';
import { newPasswordSchema, passwordSchema, roleSchema, usernameSchema } from './staffSchemas.js';

const ANY_STAFF = { roles: ROLES };

export const authRoutes: RouteModule = (registry, ctx) => {
  registry.add({
    method: 'post',
    path: '/api/v1/auth/login',
    summary: 'Sign in; answers a session token (429 after repeated failures)',
    tags: ['auth'],
    access: 'public',
    body: z.strictObject({ username: usernameSchema, password: passwordSchema }),
    response: z.object({
      token: z.string(),
      expiresAt: z.string(),
      staff: z.object({ id: z.string(), username: z.string(), role: roleSchema, mustChangePassword: z.boolean() }),
    }),
    handler: ({ body, req }) => ctx.sessions.login(body.username, body.password, req.ip ?? 'unknown'),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/auth/logout',
    summary: 'End the current session',
    tags: ['auth'],
    access: ANY_STAFF,
    allowWithOneTimePassword: true,
    handler: ({ staff }) => {
      if (staff !== undefined) ctx.sessions.logout(staff);
      return undefined;
    },
  });
  registry.add({
    method: 'get',
    path: '/api/v1/auth/me',
    summary: 'The signed-in staff member',
    tags: ['auth'],
    access: ANY_STAFF,
    allowWithOneTimePassword: true,
    response: z.object({ id: z.string(), username: z.string(), role: roleSchema, mustChangePassword: z.boolean() }),
    handler: ({ staff }) => staff && { id: staff.id, username: staff.username, role: staff.role, mustChangePassword: staff.mustChangePassword },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/auth/password',
    summary: 'Change my password (required after a one-time password)',
    tags: ['auth'],
    access: ANY_STAFF,
    allowWithOneTimePassword: true,
    body: z.strictObject({ currentPassword: passwordSchema, newPassword: newPasswordSchema }),
    handler: async ({ staff, body }) => {
      if (staff !== undefined) await ctx.staff.changePassword(staff, body.currentPassword, body.newPassword);
      return undefined;
    },
  });
};
