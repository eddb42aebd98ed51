/**
 * One log line per request: method, route pattern (not the URL: its query and path values may
 * hold personal data), status, duration, staff id. Bodies and headers are never logged.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const staffId: unknown = res.locals['staffId'];
      logger.info(
        { requestId, method: req.method, route: req.route?.path ?? 'unmatched', status: res.statusCode, ms: Math.round(ms * 10) / 10, ...(typeof staffId === 'string' ? { staffId } : {}) },
        'request',
      );
    });
    next();
  };
}
