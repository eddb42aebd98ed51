/**
 * Login rate limiting: failures are counted per account and per client address inside a window
 * as long as the lockout; reaching the limit locks that key for the lockout. A success clears the
 * account's counter only, so one valid account cannot reset an address that is guessing others.
 */
import type { StaffLoginThrottleRepository } from '../../data/staffLoginThrottleRepository.js';
import { type Clock, addMinutes } from './clock.js';
import { LoginLockedError } from './errors.js';

export interface ThrottleLimits {
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  lockoutMinutes: number;
}

export class LoginThrottle {
  constructor(
    private readonly repo: StaffLoginThrottleRepository,
    private readonly limits: ThrottleLimits,
    private readonly clock: Clock,
  ) {}

  /** @throws LoginLockedError while the account or the address is locked. */
  check(username: string, ip: string): void {
    const now = this.clock();
    for (const key of [accountKey(username), ipKey(ip)]) {
      const until = this.repo.get(key)?.lockedUntil;
      if (until != null && new Date(until) > now) {
        throw new LoginLockedError(Math.ceil((new Date(until).getTime() - now.getTime()) / 1000));
      }
    }
  }

  recordFailure(username: string, ip: string): void {
    this.bump(accountKey(username), this.limits.maxFailuresPerAccount);
    this.bump(ipKey(ip), this.limits.maxFailuresPerIp);
  }

  recordSuccess(username: string): void {
    this.repo.clear(accountKey(username));
  }

  private bump(key: string, max: number): void {
    const now = this.clock();
    const cur = this.repo.get(key);
    const windowOpen = cur !== undefined && addMinutes(new Date(cur.windowStartedAt), this.limits.lockoutMinutes) > now;
    const failures = windowOpen ? cur.failures + 1 : 1;
    const windowStartedAt = windowOpen ? cur.windowStartedAt : now.toISOString();
    const lockedUntil = failures >= max ? addMinutes(now, this.limits.lockoutMinutes).toISOString() : null;
    // A lock starts a fresh window, so the next failure after it ends counts from one.
    this.repo.put({ key, failures: lockedUntil === null ? failures : 0, windowStartedAt: lockedUntil === null ? windowStartedAt : now.toISOString(), lockedUntil });
  }
}

const accountKey = (username: string): string => `account:${username.toLowerCase()}`;
const ipKey = (ip: string): string => `ip:${ip}`;
