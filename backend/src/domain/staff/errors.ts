/** Staff and session errors, by cause. Messages are safe to show. */

export class StaffError extends Error {
  override readonly name: string = 'StaffError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Wrong user name or password (never says which). */
export class InvalidCredentialsError extends StaffError {
  override readonly name = 'InvalidCredentialsError';
  constructor() {
    super('INVALID_CREDENTIALS', 'user name or password is wrong');
  }
}

/** Too many failed logins for this account or address. */
export class LoginLockedError extends StaffError {
  override readonly name = 'LoginLockedError';
  /** Seconds until another attempt is accepted. */
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('LOGIN_LOCKED', `too many failed logins; try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s)`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Missing, unknown, expired or logged-out session token. */
export class SessionInvalidError extends StaffError {
  override readonly name = 'SessionInvalidError';
  constructor(message = 'not signed in or the session has expired') {
    super('UNAUTHENTICATED', message);
  }
}

/** Signed in with a one-time password: only changing it is allowed. */
export class PasswordChangeRequiredError extends StaffError {
  override readonly name = 'PasswordChangeRequiredError';
  constructor() {
    super('PASSWORD_CHANGE_REQUIRED', 'change the one-time password first (POST /api/v1/auth/password)');
  }
}

export class StaffNotFoundError extends StaffError {
  override readonly name = 'StaffNotFoundError';
  constructor(username: string) {
    super('STAFF_NOT_FOUND', `no staff account named ${username}`);
  }
}

export class StaffExistsError extends StaffError {
  override readonly name = 'StaffExistsError';
  constructor(username: string) {
    super('STAFF_EXISTS', `a staff account named ${username} already exists`);
  }
}

/** A password that fails the policy, or a change that would lock admins out. */
export class StaffRuleError extends StaffError {
  override readonly name = 'StaffRuleError';
  constructor(message: string) {
    super('STAFF_RULE', message);
  }
}
