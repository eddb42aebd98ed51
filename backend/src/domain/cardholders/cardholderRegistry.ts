import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { CardholderAccessLogRepository } from '../../data/cardholderAccessLogRepository.js';
import { CardholderRepository } from '../../data/cardholderRepository.js';
import type { AuditSink } from '../audit/auditSink.js';
import { readContextSchema } from './accessPurpose.js';
import type { AccessLogEntry, Cardholder } from './cardholder.js';
import { cardholderSearchSchema, contactUpdateSchema, enrollCardholderSchema } from './cardholderSchema.js';
import {
  CardholderNotFoundError,
  CardholderValidationError,
  DuplicateCardholderError,
  HouseholdHeadExistsError,
} from './errors.js';
import { parseInput } from './parseInput.js';

export interface CardholderRegistryOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
}

/**
 * The actual-population register. Every method that returns personal data takes a read context
 * (who, why) and logs one access per cardholder returned, in the same transaction as the read
 * (IMMEDIATE, since the read also writes: no data leaves unless its access was recorded).
 */
export class CardholderRegistry {
  readonly #db: Database;
  readonly #cardholders: CardholderRepository;
  readonly #accessLog: CardholderAccessLogRepository;
  readonly #audit: AuditSink;
  readonly #clock: () => Date;
  readonly #newId: () => string;

  constructor(db: Database, audit: AuditSink, options: CardholderRegistryOptions = {}) {
    this.#db = db;
    this.#cardholders = new CardholderRepository(db);
    this.#accessLog = new CardholderAccessLogRepository(db);
    this.#audit = audit;
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? randomUUID;
  }

  /**
   * Registers a resident or a member of the floating population.
   * @throws CardholderValidationError on bad input, a future birth date or an expired residence permit.
   * @throws DuplicateCardholderError when the citizen ID or permit number is already registered.
   * @throws HouseholdHeadExistsError when enrolling a second head of one household.
   */
  enroll(input: unknown, actor: string): Cardholder {
    const v = parseInput(enrollCardholderSchema, input);
    const now = this.#clock().toISOString();
    const today = now.slice(0, 10);
    if (v.birthDate > today) throw new CardholderValidationError([{ path: 'birthDate', message: 'is in the future' }]);
    if (v.kind === 'floating' && v.residencePermit.expiresOn < today) {
      throw new CardholderValidationError([{ path: 'residencePermit.expiresOn', message: 'permit has expired' }]);
    }
    const cardholder: Cardholder = {
      id: this.#newId(),
      kind: v.kind,
      fullName: v.fullName,
      citizenId: v.citizenId ?? null,
      birthDate: v.birthDate,
      phone: v.phone ?? null,
      address: v.address,
      household: v.household ?? null,
      residencePermit: v.kind === 'floating' ? v.residencePermit : null,
      createdAt: now,
      updatedAt: now,
    };
    return this.#db.transaction(() => {
      if (cardholder.citizenId !== null && this.#cardholders.idByCitizenId(cardholder.citizenId) !== undefined) {
        throw new DuplicateCardholderError('citizenId');
      }
      if (cardholder.residencePermit !== null && this.#cardholders.idByResidencePermit(cardholder.residencePermit.number) !== undefined) {
        throw new DuplicateCardholderError('residencePermit');
      }
      const household = cardholder.household;
      if (household?.relation === 'head' && this.#cardholders.householdHeadId(household.householdId) !== undefined) {
        throw new HouseholdHeadExistsError(household.householdId);
      }
      this.#cardholders.insert(cardholder);
      this.#audit.record({
        at: now,
        actor,
        action: 'cardholder.enrolled',
        target: cardholder.id,
        details: { kind: cardholder.kind, householdId: household?.householdId ?? null },
      });
      return cardholder;
    }).immediate();
  }

  /**
   * Changes phone and/or address.
   * @throws CardholderValidationError, CardholderNotFoundError.
   */
  updateContact(cardholderId: string, update: unknown, actor: string): void {
    const v = parseInput(contactUpdateSchema, update);
    this.#db.transaction(() => {
      const current = this.#cardholders.findById(cardholderId);
      if (current === undefined) throw new CardholderNotFoundError(cardholderId);
      const phone = v.phone === undefined ? current.phone : v.phone;
      const at = this.#clock().toISOString();
      this.#cardholders.updateContact(cardholderId, phone, v.address ?? current.address, at);
      const fields = [...(v.phone !== undefined ? ['phone'] : []), ...(v.address !== undefined ? ['address'] : [])];
      this.#audit.record({ at, actor, action: 'cardholder.contact-updated', target: cardholderId, details: { fields } });
    }).immediate();
  }

  /**
   * Reads one cardholder and logs the access.
   * @throws CardholderValidationError on a bad read context; CardholderNotFoundError (nothing logged).
   */
  get(cardholderId: string, context: unknown): Cardholder {
    const ctx = parseInput(readContextSchema, context);
    return this.#db.transaction(() => {
      const found = this.#cardholders.findById(cardholderId);
      if (found === undefined) throw new CardholderNotFoundError(cardholderId);
      this.#accessLog.insert(found.id, ctx.accessor, ctx.purpose, this.#clock().toISOString());
      return found;
    }).immediate();
  }

  /**
   * Finds cardholders by name prefix, citizen ID and/or household (at most `limit`, 1-100, default 50)
   * and logs one access for each cardholder returned.
   * @throws CardholderValidationError on bad criteria or read context.
   */
  search(criteria: unknown, context: unknown): Cardholder[] {
    const ctx = parseInput(readContextSchema, context);
    const c = parseInput(cardholderSearchSchema, criteria);
    return this.#db.transaction(() => {
      const found = this.#cardholders.search({ ...c, citizenId: c.citizenId?.toUpperCase() });
      const at = this.#clock().toISOString();
      for (const h of found) this.#accessLog.insert(h.id, ctx.accessor, ctx.purpose, at);
      return found;
    }).immediate();
  }

  /** Members of one household, each read logged. Same throws as search. */
  household(householdId: string, context: unknown): Cardholder[] {
    return this.search({ householdId, limit: 100 }, context);
  }

  /**
   * Who read this cardholder's data, when and why, oldest first.
   * @throws CardholderNotFoundError.
   */
  accessLogFor(cardholderId: string): AccessLogEntry[] {
    if (!this.#cardholders.exists(cardholderId)) throw new CardholderNotFoundError(cardholderId);
    return this.#accessLog.forCardholder(cardholderId);
  }
}
