/**
 * The route registry: every route is declared once (method, path, who may call it, zod schemas,
 * summary) and the registry both mounts it on express and describes it in the OpenAPI document.
 * Access is deny-by-default: a route names the staff roles it admits, or says 'public', or names
 * another registered authentication scheme (e.g. terminals). Domain error classes are mapped to
 * HTTP statuses here too, so domain code never imports the HTTP layer.
 */
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { Role } from '../domain/staff/roles.js';
import type { AuthenticatedStaff } from '../domain/staff/sessions.js';
import { AppError } from './appError.js';
import { parseOrThrow } from './validate.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: anyone, staff holding one of the roles, or a named scheme's principals. */
export type Access = 'public' | { roles: readonly Role[] } | { scheme: string };

export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** The signed-in staff member (staff routes only). */
  staff: AuthenticatedStaff | undefined;
  /** What a non-staff scheme's authenticate returned. */
  principal: unknown;
  req: Request;
  res: Response;
}

export interface RouteDef<B = unknown, Q = unknown, P = unknown> {
  method: HttpMethod;
  /** Express path, e.g. '/api/v1/staff/:username'. */
  path: string;
  summary: string;
  tags?: string[];
  access: Access;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  /** Success body, for the document. */
  response?: z.ZodType;
  /** Success status; default 200 (204 when the handler returns undefined). */
  status?: number;
  /** Staff still holding a one-time password may call it (change password, logout, me). */
  allowWithOneTimePassword?: boolean;
  /**
   * Returns the JSON body. A handler that writes the response itself (a stream) returns
   * undefined after sending headers.
   */
  handler: (ctx: RouteContext<B, Q, P>) => unknown;
}

/** A non-staff authentication scheme. `authenticate` throws (mapped error) or returns a principal. */
export interface AuthScheme {
  authenticate: (req: Request) => unknown;
  /** OpenAPI security scheme object. */
  openapi: Record<string, unknown>;
}

export interface MountDeps {
  /** Resolves a bearer token; throws SessionInvalidError (401) when it is not valid. */
  authenticateStaff: (token: string) => AuthenticatedStaff;
}

type ErrorClass = abstract new (...args: never[]) => Error;

export class RouteRegistry {
  private readonly defs: RouteDef<unknown, unknown, unknown>[] = [];
  private readonly schemes = new Map<string, AuthScheme>();
  private readonly errorMap: { type: ErrorClass; status: number; headers?: (err: Error) => Record<string, string> }[] = [];

  /** @throws Error when the same method and path is registered twice. */
  add<B, Q, P>(def: RouteDef<B, Q, P>): void {
    if (this.defs.some((d) => d.method === def.method && d.path === def.path)) {
      throw new Error(`route ${def.method.toUpperCase()} ${def.path} is registered twice`);
    }
    if (typeof def.access === 'object' && 'roles' in def.access && def.access.roles.length === 0) {
      throw new Error(`route ${def.method.toUpperCase()} ${def.path} admits no role`);
    }
    this.defs.push(def as unknown as RouteDef<unknown, unknown, unknown>);
  }

  addScheme(name: string, scheme: AuthScheme): void {
    if (name === 'staff' || this.schemes.has(name)) throw new Error(`auth scheme ${name} is already defined`);
    this.schemes.set(name, scheme);
  }

  /**
   * Maps a domain error class to a status; the response carries the error's `code` property
   * (or 'ERROR') and its message, which must be safe to show.
   */
  mapError(type: ErrorClass, status: number, headers?: (err: Error) => Record<string, string>): void {
    this.errorMap.push({ type, status, ...(headers === undefined ? {} : { headers }) });
  }

  /** The AppError a mapped domain error becomes, or undefined for an unmapped one. */
  toAppError(err: unknown): AppError | undefined {
    if (err instanceof AppError) return err;
    if (!(err instanceof Error)) return undefined;
    const hit = this.errorMap.find((m) => err instanceof m.type);
    if (hit === undefined) return undefined;
    const code = (err as { code?: unknown }).code;
    return new AppError(hit.status, typeof code === 'string' ? code : 'ERROR', err.message, { cause: err, headers: hit.headers?.(err) ?? {} });
  }

  routes(): readonly RouteDef<unknown, unknown, unknown>[] {
    return this.defs;
  }

  schemeEntries(): [string, AuthScheme][] {
    return [...this.schemes.entries()];
  }

  /** Mounts every route on `router`. */
  mount(router: Router, deps: MountDeps): void {
    for (const def of this.defs) {
      router[def.method](def.path, this.handlerFor(def, deps));
    }
  }

  private handlerFor(def: RouteDef<unknown, unknown, unknown>, deps: MountDeps): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      try {
        let staff: AuthenticatedStaff | undefined;
        let principal: unknown;
        if (def.access !== 'public') {
          if ('roles' in def.access) {
            staff = deps.authenticateStaff(bearerToken(req));
            res.locals['staffId'] = staff.id;
            if (!def.access.roles.includes(staff.role)) {
              throw new AppError(403, 'FORBIDDEN', `role ${staff.role} may not ${def.method.toUpperCase()} ${def.path}`);
            }
            if (staff.mustChangePassword && def.allowWithOneTimePassword !== true) {
              throw new AppError(403, 'PASSWORD_CHANGE_REQUIRED', 'change the one-time password first (POST /api/v1/auth/password)');
            }
          } else {
            const scheme = this.schemes.get(def.access.scheme);
            if (scheme === undefined) throw new Error(`route ${def.path} names unknown auth scheme ${def.access.scheme}`);
            principal = scheme.authenticate(req);
          }
        }
        const ctx: RouteContext<unknown, unknown, unknown> = {
          body: def.body === undefined ? undefined : parseOrThrow(def.body, req.body, 'body'),
          query: def.query === undefined ? {} : parseOrThrow(def.query, req.query, 'query'),
          params: def.params === undefined ? req.params : parseOrThrow(def.params, req.params, 'params'),
          staff,
          principal,
          req,
          res,
        };
        const result = await def.handler(ctx);
        if (res.headersSent) return;
        if (result === undefined) res.status(204).end();
        else res.status(def.status ?? 200).json(result);
      } catch (err) {
        next(err);
      }
    };
  }
}

/** @throws AppError 401 when there is no `Authorization: Bearer <token>` header. */
export function bearerToken(req: Request): string {
  const header = req.get('authorization') ?? '';
  const m = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header);
  if (m?.[1] === undefined) throw new AppError(401, 'UNAUTHENTICATED', 'sign in first: send Authorization: Bearer <token>');
  return m[1];
}
