/**
 * The `terminal` authentication scheme: `Authorization: Bearer TERMINAL.SECRET`, the credential
 * a terminal got at registration or its last rotation. A staff session token never passes (it
 * has no terminal number), and a terminal credential never passes the staff check.
 */
import type { Request } from 'express';
import type { Terminal } from '../domain/terminals/terminal.js';
import type { TerminalRegistry } from '../domain/terminals/terminalRegistry.js';
import { AppError } from './appError.js';
import type { AuthScheme } from './routeRegistry.js';

export const TERMINAL_SCHEME = 'terminal';
/** What terminal routes declare as their access. */
export const TERMINAL_ACCESS = { scheme: TERMINAL_SCHEME } as const;

/** @throws AppError 401 (missing header) or TerminalCredentialError (mapped to 401). */
export function terminalScheme(terminals: TerminalRegistry): AuthScheme {
  return {
    authenticate: (req: Request): Terminal => {
      const m = /^Bearer (\S{1,200})$/.exec(req.get('authorization') ?? '');
      if (m?.[1] === undefined) throw new AppError(401, 'UNAUTHENTICATED', 'send Authorization: Bearer <terminal credential>');
      return terminals.authenticate(m[1]);
    },
    openapi: { type: 'http', scheme: 'bearer', description: 'terminal credential TERMINAL.SECRET, issued at registration or rotation' },
  };
}

/** The authenticated terminal of a terminal route. */
export function terminalOf(principal: unknown): Terminal {
  return principal as Terminal;
}
