/**
 * Personalization sessions, in memory only: the session keys and chaining value never touch the
 * disk. A session belongs to the client that started it (another client gets "not found", as if
 * it did not exist) and is forgotten, its keys overwritten, at END PERSONALIZATION, on abort, on a
 * failed cryptogram, or after `idleTimeoutMs` without use.
 */
import type { PersonalizationTarget } from '../custodian.js';
import { HsmSessionError } from '../errors.js';
import { type SmKeys } from './secureMessaging.js';

export interface SessionRecord {
  readonly id: string;
  /** Client name of the owner. */
  readonly owner: string;
  readonly target: PersonalizationTarget;
  readonly transportKeyVersion: number;
  readonly hostRandom: Buffer;
  /** `started`: RH issued, card cryptogram not yet checked; `open`: secure channel up. */
  state: 'started' | 'open';
  keys: SmKeys | undefined;
  /** C-MAC of the last command: the ICV of the next one. */
  chain: Buffer | undefined;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface SessionLimits {
  /** Default 5 minutes. */
  readonly idleTimeoutMs?: number;
  /** Sessions open at once across all clients; default 1000. */
  readonly maxSessions?: number;
}

export class PersonalizationSessions {
  readonly #sessions = new Map<string, SessionRecord>();
  readonly idleTimeoutMs: number;
  readonly maxSessions: number;

  constructor(limits: SessionLimits = {}) {
    this.idleTimeoutMs = limits.idleTimeoutMs ?? 300_000;
    this.maxSessions = limits.maxSessions ?? 1000;
  }

  /** Number of live sessions (expired ones count until the next sweep). */
  get size(): number {
    return this.#sessions.size;
  }

  /** Registers a new session. Throws `HsmSessionError` (SESSION_STATE) when the table is full. */
  create(
    init: Pick<SessionRecord, 'id' | 'owner' | 'target' | 'transportKeyVersion' | 'hostRandom'>,
    now: Date,
  ): SessionRecord {
    this.sweep(now);
    if (this.#sessions.size >= this.maxSessions) {
      throw new HsmSessionError('SESSION_STATE', `too many personalization sessions (${this.maxSessions})`);
    }
    const session: SessionRecord = {
      ...init,
      state: 'started',
      keys: undefined,
      chain: undefined,
      expiresAt: now.getTime() + this.idleTimeoutMs,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /**
   * The caller's live session, its idle timer restarted. Throws `HsmSessionError`
   * (SESSION_NOT_FOUND) when unknown, expired, or owned by another client.
   */
  get(id: string, owner: string, now: Date): SessionRecord {
    const session = this.#sessions.get(id);
    if (session !== undefined && session.expiresAt <= now.getTime()) this.close(id);
    if (session === undefined || session.owner !== owner || !this.#sessions.has(id)) {
      throw new HsmSessionError('SESSION_NOT_FOUND', 'no such personalization session (unknown, expired or closed)');
    }
    session.expiresAt = now.getTime() + this.idleTimeoutMs;
    return session;
  }

  /** Forgets a session and overwrites its keys; unknown ids are ignored. */
  close(id: string): void {
    const session = this.#sessions.get(id);
    if (session === undefined) return;
    session.keys?.enc.fill(0);
    session.keys?.mac.fill(0);
    session.chain?.fill(0);
    session.keys = undefined;
    this.#sessions.delete(id);
  }

  /** Closes every session idle past its timeout. */
  sweep(now: Date): void {
    const t = now.getTime();
    for (const [id, session] of this.#sessions) if (session.expiresAt <= t) this.close(id);
  }

  /** Closes every session (shutdown). */
  closeAll(): void {
    for (const id of [...this.#sessions.keys()]) this.close(id);
  }
}
