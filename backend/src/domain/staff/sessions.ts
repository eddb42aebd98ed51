/**
 * Staff login, session check and logout. A session token is 32 random bytes (base64url) shown
 * to the client once; the database keeps only its SHA-256. A session ends after
 * `idleMinutes` without use or `absoluteMinutes` after login, whichever comes first.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { StaffRepository } from '../../data/staffRepository.js';
import type { StaffSessionRepository } from '../../data/staffSessionRepository.js';
import type { AuditSink } from '../audit/auditSink.js';
import { type Clock, addMinutes } from './clock.js';
import { InvalidCredentialsError, SessionInvalidError } from './errors.js';
import type { LoginThrottle } from './loginThrottle.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { StaffPrincipal } from './roles.js';

export interface SessionLimits {
  idleMinutes: number;
  absoluteMinutes: number;
}

export interface LoginResult {
  token: string;
  expiresAt: string;
  staff: StaffPrincipal & { mustChangePassword: boolean };
}

/** A signed-in staff member, with whether they must still change a one-time password. */
export interface AuthenticatedStaff extends StaffPrincipal {
  mustChangePassword: boolean;
  tokenHash: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

// Verified against for unknown user names so that timing does not reveal which names exist.
let dummyHash: Promise<string> | undefined;

export class StaffSessions {
  constructor(
    private readonly staff: StaffRepository,
    private readonly sessions: StaffSessionRepository,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditSink,
    private readonly limits: SessionLimits,
    private readonly clock: Clock,
  ) {}

  /**
   * Checks the password and opens a session.
   * @throws LoginLockedError when the account or address is locked; InvalidCredentialsError on a
   *   wrong name or password, or a disabled account.
   */
  async login(username: string, password: string, ip: string): Promise<LoginResult> {
    this.throttle.check(username, ip);
    const account = this.staff.byUsername(username);
    dummyHash ??= hashPassword('not a real password');
    const ok = await verifyPassword(password, account?.passwordHash ?? (await dummyHash));
    if (account === undefined || !ok || account.disabled) {
      this.throttle.recordFailure(username, ip);
      this.audit.record({ at: this.clock().toISOString(), actor: account?.id ?? 'anonymous', action: 'staff.login_failed', details: { username, ip } });
      throw new InvalidCredentialsError();
    }
    this.throttle.recordSuccess(username);
    const now = this.clock();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = addMinutes(now, this.limits.absoluteMinutes).toISOString();
    this.sessions.insert({ tokenHash: hashToken(token), staffId: account.id, createdAt: now.toISOString(), lastSeenAt: now.toISOString(), expiresAt });
    this.audit.record({ at: now.toISOString(), actor: account.id, action: 'staff.login', details: { ip } });
    return {
      token,
      expiresAt,
      staff: { id: account.id, username: account.username, role: account.role, mustChangePassword: account.mustChangePassword },
    };
  }

  /**
   * Resolves a bearer token to its staff member and marks the session used.
   * @throws SessionInvalidError for an unknown, idle-expired or absolutely expired session or a disabled account.
   */
  authenticate(token: string): AuthenticatedStaff {
    const now = this.clock();
    const tokenHash = hashToken(token);
    const session = this.sessions.get(tokenHash);
    if (session === undefined) throw new SessionInvalidError();
    const idleEnd = addMinutes(new Date(session.lastSeenAt), this.limits.idleMinutes);
    if (now >= new Date(session.expiresAt) || now >= idleEnd) {
      this.sessions.delete(tokenHash);
      throw new SessionInvalidError('the session has expired; sign in again');
    }
    const account = this.staff.byId(session.staffId);
    if (account === undefined || account.disabled) {
      this.sessions.delete(tokenHash);
      throw new SessionInvalidError();
    }
    this.sessions.touch(tokenHash, now.toISOString());
    return { id: account.id, username: account.username, role: account.role, mustChangePassword: account.mustChangePassword, tokenHash };
  }

  logout(who: AuthenticatedStaff): void {
    this.sessions.delete(who.tokenHash);
    this.audit.record({ at: this.clock().toISOString(), actor: who.id, action: 'staff.logout' });
  }
}
