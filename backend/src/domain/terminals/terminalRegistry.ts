/**
 * Registration of merchants, terminals and PSAMs, and the terminals' own credentials: issued
 * once at registration, rotated on demand (the old one stops working at once), refused while
 * the terminal is disabled. Every change is audited; no secret goes to the audit log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { MerchantRepository } from '../../data/merchantRepository.js';
import { TerminalPsamRepository } from '../../data/terminalPsamRepository.js';
import { TerminalRepository } from '../../data/terminalRepository.js';
import type { AuditSink } from '../audit/auditSink.js';
import { MerchantNotFoundError, PsamExistsError, TerminalCredentialError, TerminalExistsError, TerminalNotFoundError } from './errors.js';
import type { Merchant, MerchantCategory, Psam, Terminal, TerminalMode } from './terminal.js';
import { newTerminalCredential, parseTerminalCredential, secretMatches } from './terminalCredential.js';

export interface TerminalRegistryOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
  readonly random?: (n: number) => Buffer;
}

export interface RegisterTerminalInput {
  readonly terminalNumber: string;
  readonly merchantId: string;
  readonly mode: TerminalMode;
  readonly location: string;
}

/** A terminal with its one-time credential, answered once at registration or rotation. */
export interface IssuedTerminal {
  readonly terminal: Terminal;
  readonly credential: string;
}

export class TerminalRegistry {
  readonly #db: Database;
  readonly #merchants: MerchantRepository;
  readonly #terminals: TerminalRepository;
  readonly #psams: TerminalPsamRepository;
  readonly #audit: AuditSink;
  readonly #clock: () => Date;
  readonly #newId: () => string;
  readonly #random: (n: number) => Buffer;

  constructor(db: Database, audit: AuditSink, options: TerminalRegistryOptions = {}) {
    this.#db = db;
    this.#merchants = new MerchantRepository(db);
    this.#terminals = new TerminalRepository(db);
    this.#psams = new TerminalPsamRepository(db);
    this.#audit = audit;
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? randomUUID;
    this.#random = options.random ?? randomBytes;
  }

  registerMerchant(input: { name: string; category: MerchantCategory }, actor: string): Merchant {
    const merchant: Merchant = { id: this.#newId(), name: input.name, category: input.category, createdAt: this.#now() };
    this.#db.transaction(() => {
      this.#merchants.insert(merchant);
      this.#audit.record({ at: merchant.createdAt, actor, action: 'merchant.register', target: merchant.id, details: { category: merchant.category } });
    })();
    return merchant;
  }

  listMerchants(): Merchant[] {
    return this.#merchants.list();
  }

  /** @throws MerchantNotFoundError, TerminalExistsError. */
  registerTerminal(input: RegisterTerminalInput, actor: string): IssuedTerminal {
    const now = this.#now();
    const { credential, hash } = newTerminalCredential(input.terminalNumber, this.#random);
    const terminal: Terminal = { ...input, disabled: false, credentialIssuedAt: now, createdAt: now, updatedAt: now };
    this.#db.transaction(() => {
      if (this.#merchants.findById(input.merchantId) === undefined) throw new MerchantNotFoundError(input.merchantId);
      if (this.#terminals.find(input.terminalNumber) !== undefined) throw new TerminalExistsError(input.terminalNumber);
      this.#terminals.insert(terminal, hash);
      this.#audit.record({ at: now, actor, action: 'terminal.register', target: input.terminalNumber, details: { merchantId: input.merchantId, mode: input.mode } });
    }).immediate();
    return { terminal, credential };
  }

  /** @throws TerminalNotFoundError. */
  getTerminal(terminalNumber: string): Terminal & { psams: Psam[] } {
    const terminal = this.#terminals.find(terminalNumber);
    if (terminal === undefined) throw new TerminalNotFoundError(terminalNumber);
    return { ...terminal, psams: this.#psams.forTerminal(terminalNumber) };
  }

  listTerminals(merchantId?: string): Terminal[] {
    return this.#terminals.list(merchantId);
  }

  /** A new credential; the old one stops working at once. @throws TerminalNotFoundError. */
  rotateCredential(terminalNumber: string, actor: string): IssuedTerminal {
    const now = this.#now();
    const { credential, hash } = newTerminalCredential(terminalNumber, this.#random);
    this.#db.transaction(() => {
      if (!this.#terminals.replaceCredential(terminalNumber, hash, now)) throw new TerminalNotFoundError(terminalNumber);
      this.#audit.record({ at: now, actor, action: 'terminal.credential.rotate', target: terminalNumber });
    }).immediate();
    return { terminal: this.getTerminal(terminalNumber), credential };
  }

  /** @throws TerminalNotFoundError. */
  setDisabled(terminalNumber: string, disabled: boolean, actor: string): Terminal {
    const now = this.#now();
    this.#db.transaction(() => {
      if (!this.#terminals.setDisabled(terminalNumber, disabled, now)) throw new TerminalNotFoundError(terminalNumber);
      this.#audit.record({ at: now, actor, action: disabled ? 'terminal.disable' : 'terminal.enable', target: terminalNumber });
    }).immediate();
    return this.getTerminal(terminalNumber);
  }

  /** @throws TerminalNotFoundError, PsamExistsError. */
  registerPsam(input: { serial: string; terminalNumber: string }, actor: string): Psam {
    const psam: Psam = { ...input, createdAt: this.#now() };
    this.#db.transaction(() => {
      if (this.#terminals.find(input.terminalNumber) === undefined) throw new TerminalNotFoundError(input.terminalNumber);
      if (this.#psams.find(input.serial) !== undefined) throw new PsamExistsError(input.serial);
      this.#psams.insert(psam);
      this.#audit.record({ at: psam.createdAt, actor, action: 'psam.register', target: input.serial, details: { terminalNumber: input.terminalNumber } });
    }).immediate();
    return psam;
  }

  /**
   * The terminal a credential belongs to.
   * @throws TerminalCredentialError when it is malformed, unknown, wrong or the terminal is disabled.
   */
  authenticate(credential: string): Terminal {
    const parsed = parseTerminalCredential(credential);
    if (parsed === undefined) throw new TerminalCredentialError();
    const stored = this.#terminals.credentialHash(parsed.terminalNumber);
    if (stored === undefined || stored.disabled || !secretMatches(parsed.secret, stored.hash)) throw new TerminalCredentialError();
    const terminal = this.#terminals.find(parsed.terminalNumber);
    if (terminal === undefined) throw new TerminalCredentialError();
    return terminal;
  }

  #now(): string {
    return this.#clock().toISOString();
  }
}
