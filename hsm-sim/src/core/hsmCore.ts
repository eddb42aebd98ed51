/**
 * The HSM's one entry point for commands, whatever carries them (socket server or `LocalHsm`):
 * role check, run, audit. Errors leave as `HsmError`s whose messages hold no internals.
 */
import { createHmac } from 'node:crypto';
import { type AuditLog } from '../audit/auditLog.js';
import { CLIENT_NAME_PATTERN, clientProof, proofsEqual, serverProof } from '../auth/credentials.js';
import { type ClientIdentity } from '../auth/roles.js';
import { CertificateAuthorityError } from '../ca/index.js';
import { type CommandContext } from '../commands/context.js';
import { HsmAuthError, HsmError, HsmForbiddenError, HsmInternalError, HsmRequestError, HsmStoreError } from '../errors.js';
import { type HsmDatabase } from '../keystore/database.js';
import { type LmkCipher } from '../keystore/lmkCipher.js';
import type { CommandName, CommandParams, CommandResult } from '../protocol/commandMap.js';
import { type AuditFacts, COMMAND_TABLE, type CommandSpec } from './commandTable.js';

/** Turns anything a command threw into the `HsmError` its caller sees. */
export function toHsmError(err: unknown): HsmError {
  if (err instanceof HsmError) return err;
  // Argument checks of the shared crypto code: the caller sent an out-of-range field.
  if (err instanceof RangeError || err instanceof TypeError) return new HsmRequestError(err.message, { cause: err });
  if (err instanceof HsmStoreError) return new HsmInternalError('a stored record fails authentication', { cause: err });
  if (err instanceof CertificateAuthorityError) return new HsmInternalError('the certificate could not be issued', { cause: err });
  return new HsmInternalError('internal HSM error', { cause: err });
}

function safeFacts<P, R>(spec: CommandSpec<P, R>, params: P, result: R | undefined): AuditFacts {
  try {
    return spec.audit?.(params, result) ?? {};
  } catch {
    return { detail: 'audit facts unavailable' };
  }
}

export class HsmCore {
  readonly context: CommandContext;
  readonly audit: AuditLog;
  readonly #db: HsmDatabase;
  readonly #cipher: LmkCipher;
  #closed = false;

  constructor(parts: { db: HsmDatabase; cipher: LmkCipher; context: CommandContext; audit: AuditLog }) {
    this.#db = parts.db;
    this.#cipher = parts.cipher;
    this.context = parts.context;
    this.audit = parts.audit;
  }

  /** Check value of the LMK this HSM runs under. */
  get lmkKcv(): string {
    return this.#cipher.kcv;
  }

  /**
   * Runs a command for `client`. Throws `HsmForbiddenError` outside the client's role, otherwise
   * whatever the command throws, as an `HsmError` (see {@link toHsmError}). Audited either way.
   */
  execute<N extends CommandName>(client: ClientIdentity, name: N, params: CommandParams<N>): CommandResult<N> {
    const spec = this.#spec(name);
    this.#authorize(client, name, spec, params);
    let result: CommandResult<N>;
    try {
      result = spec.run(this.context, client, params);
    } catch (err) {
      const error = toHsmError(err);
      this.#record(client, name, { ...safeFacts(spec, params, undefined), outcome: 'error', detail: error.code });
      throw error;
    }
    this.#record(client, name, safeFacts(spec, params, result));
    return result;
  }

  /**
   * Throws `HsmForbiddenError` (audited) unless `client`'s role may call `name`; lets a server
   * refuse before it even decodes the parameters. Throws `HsmRequestError` for an unknown command.
   */
  authorize(client: ClientIdentity, name: CommandName): void {
    this.#authorize(client, name, this.#spec(name), undefined);
  }

  #spec<N extends CommandName>(name: N): CommandSpec<CommandParams<N>, CommandResult<N>> {
    const spec = COMMAND_TABLE[name] as unknown as CommandSpec<CommandParams<N>, CommandResult<N>> | undefined;
    if (spec === undefined) throw new HsmRequestError(`unknown command ${String(name).slice(0, 40)}`);
    return spec;
  }

  #authorize<P, R>(client: ClientIdentity, name: string, spec: CommandSpec<P, R>, params: P | undefined): void {
    if (spec.roles.includes(client.role)) return;
    const facts = params === undefined ? {} : safeFacts(spec, params, undefined);
    this.#record(client, name, { ...facts, outcome: 'refused', detail: `role ${client.role}` });
    throw new HsmForbiddenError(`role ${client.role} may not call ${name}`);
  }

  /**
   * Checks a client's handshake proof. Returns its identity and the server's proof; throws
   * `HsmAuthError` (audited) for an unknown client or a wrong proof, alike.
   */
  authenticate(
    name: string,
    serverNonce: Uint8Array,
    clientNonce: Uint8Array,
    proof: Uint8Array,
  ): { identity: ClientIdentity; serverProof: Buffer } {
    const shown = CLIENT_NAME_PATTERN.test(name) ? name : '?';
    let entry;
    try {
      entry = shown === '?' ? undefined : this.context.clients.lookup(name);
    } catch (err) {
      this.#record({ name: shown, role: 'terminal' }, 'authenticate', { outcome: 'error', detail: 'credential record fails authentication' });
      throw new HsmAuthError('authentication failed', { cause: err });
    }
    // Same work for an unknown name as for a known one.
    const key = entry?.authKey ?? createHmac('sha256', 'unknown').update(name).digest();
    const ok = proofsEqual(clientProof(key, serverNonce, clientNonce, name), proof) && entry !== undefined;
    if (!ok || entry === undefined) {
      key.fill(0);
      this.#record({ name: shown, role: 'terminal' }, 'authenticate', { outcome: 'refused', detail: 'wrong or unknown credential' });
      throw new HsmAuthError();
    }
    const answer = serverProof(key, serverNonce, clientNonce, name);
    key.fill(0);
    this.#record(entry.identity, 'authenticate', { detail: `role ${entry.identity.role}` });
    return { identity: entry.identity, serverProof: answer };
  }

  /** Records an event that is not a command (start, stop, connection refused). */
  note(client: string, event: string, facts: AuditFacts = {}): void {
    this.#record({ name: client, role: 'terminal' }, event, facts);
  }

  /** Forgets every session, overwrites the LMK subkeys and closes the store. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.context.sessions.closeAll();
    this.#cipher.destroy();
    this.#db.close();
  }

  #record(client: ClientIdentity, command: string, facts: AuditFacts): void {
    this.audit.append({
      client: client.name,
      command,
      keys: facts.keys ?? [],
      subject: facts.subject ?? '',
      outcome: facts.outcome ?? 'ok',
      detail: facts.detail ?? '',
    });
  }
}
