/**
 * Hotlist use cases: list a card (loss, theft, revocation, replacement), delist a found card,
 * and hand a terminal a signed delta (or a snapshot when a delta would not do).
 */
import type { KeyObject } from 'node:crypto';
import {
  type HotlistMessage,
  type HotlistReason,
  MAX_HOTLIST_VERSION,
  signHotlistMessage,
} from '@citycard/protocols';
import type { HotlistEntryRecord, HotlistRepository } from '../../data/hotlistRepository.js';
import { HotlistRuleError } from './errors.js';
import type { HotlistPublisher } from './hotlistPublisher.js';

/** Reasons that put a card on the list. */
export type ListingReason = Exclude<HotlistReason, 'found'>;

/** Default largest delta; a terminal further behind gets a snapshot. */
export const DEFAULT_MAX_DELTA_ENTRIES = 10_000;

export interface HotlistDeps {
  readonly repository: HotlistRepository;
  readonly signingKey: KeyObject;
  /** Absent: no realtime push, terminals poll. */
  readonly publisher?: HotlistPublisher;
  /** A failed push does not undo the committed entry; terminals catch up on their next fetch. */
  readonly onPublishError?: (err: unknown, entry: HotlistEntryRecord) => void;
  readonly now?: () => Date;
  readonly maxDeltaEntries?: number;
}

export class Hotlist {
  readonly #deps;
  readonly #now;
  readonly #maxDelta;

  constructor(deps: HotlistDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#maxDelta = deps.maxDeltaEntries ?? DEFAULT_MAX_DELTA_ENTRIES;
  }

  /**
   * Puts a card on the list and pushes the change. A card already listed stays as it is and its
   * listing entry is returned (a second loss report adds no version). Throws `HotlistRuleError`
   * `INVALID_CARD_NUMBER` or `REASON_NOT_FOR_ACTION`.
   */
  async listCard(cardNumber: string, reason: ListingReason): Promise<HotlistEntryRecord> {
    checkCardNumber(cardNumber);
    if ((reason as HotlistReason) === 'found') throw new HotlistRuleError('REASON_NOT_FOR_ACTION', 'a card is listed for loss, theft, revocation or replacement');
    const latest = this.#deps.repository.latestForCard(cardNumber);
    if (latest?.action === 'add') return latest;
    return this.#record(cardNumber, 'add', reason);
  }

  /** Takes a found card off the list and pushes the change. Throws `HotlistRuleError` `INVALID_CARD_NUMBER` or `CARD_NOT_LISTED`. */
  async delistCard(cardNumber: string): Promise<HotlistEntryRecord> {
    checkCardNumber(cardNumber);
    if (this.#deps.repository.latestForCard(cardNumber)?.action !== 'add') {
      throw new HotlistRuleError('CARD_NOT_LISTED', `card ${cardNumber} is not on the hotlist`);
    }
    return this.#record(cardNumber, 'remove', 'found');
  }

  /** Whether the card is listed now (for online checks by the backend itself). */
  isListed(cardNumber: string): boolean {
    return this.#deps.repository.latestForCard(cardNumber)?.action === 'add';
  }

  /**
   * The signed message that brings a terminal at `sinceVersion` up to date: a delta when the
   * terminal holds 1..current and is at most `maxDeltaEntries` behind (an empty delta when
   * current), otherwise a snapshot (a new terminal, one too far behind, or one ahead of the
   * backend after a restore). Throws `HotlistRuleError` `INVALID_VERSION` unless `sinceVersion`
   * is an integer 0..2^32-1.
   */
  signedUpdate(sinceVersion: number): Buffer {
    if (!Number.isInteger(sinceVersion) || sinceVersion < 0 || sinceVersion > MAX_HOTLIST_VERSION) {
      throw new HotlistRuleError('INVALID_VERSION', 'version must be an integer 0 to 4294967295');
    }
    const { repository } = this.#deps;
    const current = repository.currentVersion();
    const issuedAt = this.#now();
    let message: HotlistMessage;
    if (sinceVersion === 0 || sinceVersion > current || current - sinceVersion > this.#maxDelta) {
      const snapshot = repository.snapshot();
      message = { kind: 'snapshot', version: snapshot.version, issuedAt, cardNumbers: snapshot.cardNumbers };
    } else {
      const entries = repository.entriesSince(sinceVersion, current - sinceVersion);
      const version = sinceVersion + entries.length;
      message = { kind: 'delta', baseVersion: sinceVersion, version, issuedAt, entries };
    }
    return signHotlistMessage(message, this.#deps.signingKey);
  }

  async #record(cardNumber: string, action: 'add' | 'remove', reason: HotlistReason): Promise<HotlistEntryRecord> {
    const entry = this.#deps.repository.append({ cardNumber, action, reason, createdAt: this.#now().toISOString() });
    const { publisher } = this.#deps;
    if (publisher !== undefined) {
      const signed = signHotlistMessage(
        { kind: 'delta', baseVersion: entry.version - 1, version: entry.version, issuedAt: this.#now(), entries: [entry] },
        this.#deps.signingKey,
      );
      try {
        await publisher.publish(signed);
      } catch (err) {
        this.#deps.onPublishError?.(err, entry);
      }
    }
    return entry;
  }
}

function checkCardNumber(cardNumber: string): void {
  if (!/^[0-9]{16}$/.test(cardNumber)) throw new HotlistRuleError('INVALID_CARD_NUMBER', 'card number must be 16 decimal digits');
}
