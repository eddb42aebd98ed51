import type { z } from 'zod';
import { CardholderValidationError } from './errors.js';

/**
 * Validates unknown input against a schema.
 * @throws CardholderValidationError listing each bad field (the ZodError as cause).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.length > 0 ? i.path.map(String).join('.') : '(input)',
    message: i.message,
  }));
  throw new CardholderValidationError(issues, { cause: result.error });
}
