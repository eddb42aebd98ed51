/** zod validation for request parts: a failure becomes a 400 listing every issue. */
import type { z } from 'zod';
import { AppError } from './appError.js';

export interface ValidationIssue {
  /** Where: 'body.name', 'query.limit', 'params.id'. */
  path: string;
  message: string;
}

/**
 * Parses `value` with `schema`.
 * @throws AppError 400 VALIDATION_FAILED with `details.issues` when it does not fit.
 */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, part: 'body' | 'query' | 'params'): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues: ValidationIssue[] = parsed.error.issues.map((i) => ({
    path: [part, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  const first = issues[0];
  const summary = first === undefined ? `invalid ${part}` : `${first.path}: ${first.message}`;
  throw new AppError(400, 'VALIDATION_FAILED', `invalid request ${part} (${summary})`, { details: { issues } });
}
