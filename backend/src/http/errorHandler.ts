/**
 * The central error handler. AppError and mapped domain errors answer with their status and
 * `{ error: { code, message, details? } }`; body-parser failures become 400/413 with a reason;
 * anything else is logged and answered with a generic 500 that leaks nothing.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, type ErrorBody } from './appError.js';
import type { RouteRegistry } from './routeRegistry.js';

function fromBodyParser(err: unknown, limit: number): AppError | undefined {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return new AppError(413, 'BODY_TOO_LARGE', `request body exceeds ${limit} bytes`, { cause: err });
  if (type === 'entity.parse.failed') return new AppError(400, 'MALFORMED_JSON', 'request body is not valid JSON', { cause: err });
  if (type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return new AppError(415, 'UNSUPPORTED_ENCODING', 'request body must be UTF-8 JSON', { cause: err });
  }
  return undefined;
}

export function errorHandler(registry: RouteRegistry, logger: Logger, bodyLimitBytes: number): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = registry.toAppError(err) ?? fromBodyParser(err, bodyLimitBytes);
    if (res.headersSent) {
      logger.error({ err, route: req.route?.path }, 'error after the response started');
      res.end();
      return;
    }
    if (known !== undefined) {
      for (const [name, value] of Object.entries(known.headers)) res.setHeader(name, value);
      const body: ErrorBody = { error: { code: known.code, message: known.message, ...(known.details === undefined ? {} : { details: known.details }) } };
      res.status(known.status).json(body);
      return;
    }
    logger.error({ err, method: req.method, route: req.route?.path }, 'unhandled error');
    const body: ErrorBody = { error: { code: 'INTERNAL', message: 'internal error' } };
    res.status(500).json(body);
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  const body: ErrorBody = { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.path}` } };
  res.status(404).json(body);
};
