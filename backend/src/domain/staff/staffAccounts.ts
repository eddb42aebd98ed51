/**
 * Staff account management: create with a one-time password, change role or disable, reset a
 * password, change one's own password, and the first-start admin bootstrap. Every change is
 * audited; passwords appear only in the return value of the call that made them.
 */
import { randomUUID } from 'node:crypto';
import type { StaffRecord, StaffRepository } from '../../data/staffRepository.js';
import type { StaffSessionRepository } from '../../data/staffSessionRepository.js';
import type { AuditSink } from '../audit/auditSink.js';
import type { Clock } from './clock.js';
import { InvalidCredentialsError, StaffExistsError, StaffNotFoundError, StaffRuleError } from './errors.js';
import { PASSWORD_MAX, PASSWORD_MIN, generatePassword, hashPassword, verifyPassword } from './passwords.js';
import type { Role, StaffPrincipal } from './roles.js';

/** What callers may see of an account (no hash). */
export interface StaffView {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toView(s: StaffRecord): StaffView {
  return {
    id: s.id,
    username: s.username,
    displayName: s.displayName,
    role: s.role,
    disabled: s.disabled,
    mustChangePassword: s.mustChangePassword,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

/** Actor id used for actions taken from the server's own command line. */
export const SYSTEM_ACTOR = 'system';

export class StaffAccounts {
  constructor(
    private readonly staff: StaffRepository,
    private readonly sessions: StaffSessionRepository,
    private readonly audit: AuditSink,
    private readonly clock: Clock,
  ) {}

  list(): StaffView[] {
    return this.staff.list().map(toView);
  }

  /**
   * Creates an account that must change its one-time password at first login.
   * @throws StaffExistsError when the user name is taken.
   */
  async create(input: { username: string; displayName: string; role: Role }, actor: string): Promise<{ staff: StaffView; oneTimePassword: string }> {
    if (this.staff.byUsername(input.username) !== undefined) throw new StaffExistsError(input.username);
    const oneTimePassword = generatePassword();
    const passwordHash = await hashPassword(oneTimePassword);
    const at = this.clock().toISOString();
    const record: StaffRecord = { id: randomUUID(), ...input, passwordHash, mustChangePassword: true, disabled: false, createdAt: at, updatedAt: at };
    // Re-checked after the await: a concurrent create of the same name must not pass.
    if (this.staff.byUsername(input.username) !== undefined) throw new StaffExistsError(input.username);
    this.staff.insert(record);
    this.audit.record({ at, actor, action: 'staff.create', target: record.id, details: { username: input.username, role: input.role } });
    return { staff: toView(record), oneTimePassword };
  }

  /**
   * Creates `admin` with a one-time password when there is no account at all.
   * @returns the password to show once, or undefined when accounts already exist.
   */
  async bootstrapAdmin(): Promise<string | undefined> {
    if (this.staff.count() > 0) return undefined;
    const { oneTimePassword } = await this.create({ username: 'admin', displayName: 'Administrator', role: 'admin' }, SYSTEM_ACTOR);
    return oneTimePassword;
  }

  /**
   * Changes role, display name or disabled flag. Disabling ends the account's sessions.
   * @throws StaffNotFoundError; StaffRuleError when an admin would change their own role or
   *   disable themselves, or no enabled admin would remain.
   */
  update(username: string, change: { role?: Role; disabled?: boolean; displayName?: string }, actor: StaffPrincipal): StaffView {
    const cur = this.mustGet(username);
    if (cur.id === actor.id && ((change.role !== undefined && change.role !== cur.role) || change.disabled === true)) {
      throw new StaffRuleError('you cannot change your own role or disable your own account');
    }
    const losesAdmin = cur.role === 'admin' && !cur.disabled && ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
    if (losesAdmin && this.staff.countActiveWithRole('admin') <= 1) throw new StaffRuleError('at least one enabled admin must remain');
    const at = this.clock().toISOString();
    this.staff.update(cur.id, change, at);
    if (change.disabled === true || (change.role !== undefined && change.role !== cur.role)) this.sessions.deleteForStaff(cur.id);
    this.audit.record({ at, actor: actor.id, action: 'staff.update', target: cur.id, details: { ...change } });
    return toView(this.mustGet(username));
  }

  /**
   * Replaces a password with a new one-time password and ends the account's sessions.
   * @throws StaffNotFoundError
   */
  async resetPassword(username: string, actor: string): Promise<string> {
    const cur = this.mustGet(username);
    const oneTimePassword = generatePassword();
    const at = this.clock().toISOString();
    this.staff.setPassword(cur.id, await hashPassword(oneTimePassword), true, at);
    this.sessions.deleteForStaff(cur.id);
    this.audit.record({ at, actor, action: 'staff.reset_password', target: cur.id });
    return oneTimePassword;
  }

  /**
   * Changes one's own password after checking the current one.
   * @throws InvalidCredentialsError on a wrong current password; StaffRuleError when the new one
   *   is outside 12..256 characters or equals the current one.
   */
  async changePassword(who: StaffPrincipal, current: string, next: string): Promise<void> {
    const cur = this.staff.byId(who.id);
    if (cur === undefined || !(await verifyPassword(current, cur.passwordHash))) throw new InvalidCredentialsError();
    if (next.length < PASSWORD_MIN || next.length > PASSWORD_MAX) throw new StaffRuleError(`a password has ${PASSWORD_MIN}..${PASSWORD_MAX} characters`);
    if (next === current) throw new StaffRuleError('the new password must differ from the current one');
    const at = this.clock().toISOString();
    this.staff.setPassword(cur.id, await hashPassword(next), false, at);
    this.audit.record({ at, actor: who.id, action: 'staff.change_password', target: cur.id });
  }

  private mustGet(username: string): StaffRecord {
    const cur = this.staff.byUsername(username);
    if (cur === undefined) throw new StaffNotFoundError(username);
    return cur;
  }
}
