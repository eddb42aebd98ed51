/**
 * The one error the HTTP layer answers with: a status, a stable machine-readable code and a
 * message that is safe to show to the caller. The central handler turns it into
 * `{ error: { code, message, details? } }`.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly status: number;
  readonly code: string;
  /** Extra data safe to show (e.g. validation issues, retry delay). */
  readonly details: unknown;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { cause?: unknown; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

/** Body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
