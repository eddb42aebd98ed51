/**
 * Terminal registration and credentials (staff), and a terminal's view of itself (terminal
 * scheme). Registration and rotation answer the credential `TERMINAL.SECRET` once.
 */
import { z } from 'zod';
import type { AuthenticatedStaff } from '../domain/staff/sessions.js';
import {
  MerchantNotFoundError,
  PsamExistsError,
  TerminalCredentialError,
  TerminalExistsError,
  TerminalNotFoundError,
} from '../domain/terminals/errors.js';
import type { RouteModule } from './context.js';
import { TERMINAL_ACCESS, TERMINAL_SCHEME, terminalOf, terminalScheme } from './terminalAuth.js';
import {
  issuedTerminalSchema,
  psamSerialSchema,
  psamViewSchema,
  terminalDetailSchema,
  terminalInputSchema,
  terminalNumberSchema,
  terminalViewSchema,
} from './terminalSchemas.js';

const REGISTRARS = { roles: ['supervisor', 'admin'] as const };
const READERS = { roles: ['supervisor', 'auditor', 'admin'] as const };
const byNumber = z.strictObject({ terminalNumber: terminalNumberSchema });

/** The staff id of a role-checked route (the registry has authenticated it). */
function actor(staff: AuthenticatedStaff | undefined): string {
  if (staff === undefined) throw new Error('staff route reached without a staff member');
  return staff.id;
}

export const terminalRoutes: RouteModule = (registry, ctx) => {
  const { terminals } = ctx.terminalServices;
  registry.addScheme(TERMINAL_SCHEME, terminalScheme(terminals));
  registry.mapError(TerminalCredentialError, 401);
  registry.mapError(MerchantNotFoundError, 404);
  registry.mapError(TerminalNotFoundError, 404);
  registry.mapError(TerminalExistsError, 409);
  registry.mapError(PsamExistsError, 409);

  registry.add({
    method: 'post',
    path: '/api/v1/terminals',
    summary: 'Register a terminal; answers its credential once',
    tags: ['terminals'],
    access: REGISTRARS,
    status: 201,
    body: terminalInputSchema,
    response: issuedTerminalSchema,
    handler: ({ body, staff }) => staff && terminals.registerTerminal(body, staff.id),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/terminals',
    summary: 'List terminals, optionally of one merchant',
    tags: ['terminals'],
    access: READERS,
    query: z.strictObject({ merchantId: z.uuid().optional() }),
    response: z.object({ terminals: z.array(terminalViewSchema) }),
    handler: ({ query }) => ({ terminals: terminals.listTerminals(query.merchantId) }),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/terminals/:terminalNumber',
    summary: 'One terminal with its PSAMs',
    tags: ['terminals'],
    access: READERS,
    params: byNumber,
    response: terminalDetailSchema,
    handler: ({ params }) => terminals.getTerminal(params.terminalNumber),
  });
  registry.add({
    method: 'patch',
    path: '/api/v1/terminals/:terminalNumber',
    summary: 'Disable or re-enable a terminal (a disabled terminal cannot authenticate)',
    tags: ['terminals'],
    access: REGISTRARS,
    params: byNumber,
    body: z.strictObject({ disabled: z.boolean() }),
    response: terminalDetailSchema,
    handler: ({ params, body, staff }) => {
      terminals.setDisabled(params.terminalNumber, body.disabled, actor(staff));
      if (body.disabled) ctx.terminalServices.hotlistStreams.endFor(params.terminalNumber);
      return terminals.getTerminal(params.terminalNumber);
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/terminals/:terminalNumber/credential',
    summary: 'Rotate a terminal credential; the old one stops working at once',
    tags: ['terminals'],
    access: REGISTRARS,
    status: 201,
    params: byNumber,
    response: issuedTerminalSchema,
    handler: ({ params, staff }) => {
      const issued = terminals.rotateCredential(params.terminalNumber, actor(staff));
      ctx.terminalServices.hotlistStreams.endFor(params.terminalNumber);
      return issued;
    },
  });
  registry.add({
    method: 'post',
    path: '/api/v1/terminals/:terminalNumber/psams',
    summary: 'Register the PSAM seated in a terminal',
    tags: ['terminals'],
    access: REGISTRARS,
    status: 201,
    params: byNumber,
    body: z.strictObject({ serial: psamSerialSchema }),
    response: psamViewSchema,
    handler: ({ params, body, staff }) => terminals.registerPsam({ serial: body.serial, terminalNumber: params.terminalNumber }, actor(staff)),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/terminal/self',
    summary: 'The calling terminal’s own registration and PSAMs',
    tags: ['terminals'],
    access: TERMINAL_ACCESS,
    response: terminalDetailSchema,
    handler: ({ principal }) => terminals.getTerminal(terminalOf(principal).terminalNumber),
  });
};
