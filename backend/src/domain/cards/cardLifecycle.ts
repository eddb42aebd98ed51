import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { CardBalanceTransferRepository } from '../../data/cardBalanceTransferRepository.js';
import { CardRepository } from '../../data/cardRepository.js';
import { CardholderRepository } from '../../data/cardholderRepository.js';
import type { AuditSink } from '../audit/auditSink.js';
import { CardholderNotFoundError } from '../cardholders/errors.js';
import type { BalanceTransfer, Card, CardState, LifecycleActor, LifecycleRole, ReasonCode } from './card.js';
import {
  CardNotFoundError,
  CardNumberTakenError,
  CardholderHasLiveCardError,
  InvalidCardNumberError,
  DualControlRequiredError,
  InvalidTransitionError,
  TransitionNotPermittedError,
} from './errors.js';
import { APPROVER_ROLES, type Transition, findTransition, refusalReason } from './transitions.js';

/** Default wait before a replaced card's balance moves: offline payments may still arrive for 3 days. */
export const DEFAULT_BALANCE_TRANSFER_WINDOW_MS = 3 * 24 * 60 * 60 * 1000;
const MAX_BALANCE_TRANSFER_WINDOW_MS = 90 * 24 * 60 * 60 * 1000;

export interface CardLifecycleOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** 0-90 days in ms; default DEFAULT_BALANCE_TRANSFER_WINDOW_MS. */
  readonly balanceTransferWindowMs?: number;
}

/** Who asks for a transition, the second approval when dual control applies, and why. */
export interface TransitionRequest {
  readonly actor: LifecycleActor;
  /** Supplied by the approvals mechanism once a second person approved; ignored where not needed. */
  readonly approvedBy?: LifecycleActor | undefined;
  readonly reason?: ReasonCode | undefined;
}

/** Result of replacing a card: the old card (now replaced), its successor (applied) and the scheduled transfer. */
export interface Replacement {
  readonly oldCard: Card;
  readonly newCard: Card;
  readonly transfer: BalanceTransfer;
}

const hasAnyRole = (who: LifecycleActor, roles: readonly LifecycleRole[]): boolean =>
  who.roles.some((r) => roles.includes(r));

/**
 * Card lifecycle use cases over the state machine in transitions.ts. Each transition is one
 * IMMEDIATE transaction: the state change and its audit entry commit together or not at all.
 */
export class CardLifecycle {
  readonly #db: Database;
  readonly #cards: CardRepository;
  readonly #transfers: CardBalanceTransferRepository;
  readonly #cardholders: CardholderRepository;
  readonly #audit: AuditSink;
  readonly #clock: () => Date;
  readonly #newId: () => string;
  readonly #windowMs: number;

  /** @throws RangeError when balanceTransferWindowMs is not an integer of 0-90 days. */
  constructor(db: Database, audit: AuditSink, options: CardLifecycleOptions = {}) {
    const windowMs = options.balanceTransferWindowMs ?? DEFAULT_BALANCE_TRANSFER_WINDOW_MS;
    if (!Number.isInteger(windowMs) || windowMs < 0 || windowMs > MAX_BALANCE_TRANSFER_WINDOW_MS) {
      throw new RangeError('balanceTransferWindowMs must be an integer of 0 to 90 days');
    }
    this.#db = db;
    this.#cards = new CardRepository(db);
    this.#transfers = new CardBalanceTransferRepository(db);
    this.#cardholders = new CardholderRepository(db);
    this.#audit = audit;
    this.#clock = options.clock ?? (() => new Date());
    this.#newId = options.newId ?? randomUUID;
    this.#windowMs = windowMs;
  }

  /**
   * Opens a card application (state applied) for a registered cardholder.
   * @throws TransitionNotPermittedError unless the actor is clerk, supervisor or admin.
   * @throws CardholderNotFoundError; CardholderHasLiveCardError when a card is already in use or in issuance.
   */
  applyForCard(cardholderId: string, actor: LifecycleActor): Card {
    const roles: readonly LifecycleRole[] = ['clerk', 'supervisor', 'admin'];
    if (!hasAnyRole(actor, roles)) throw new TransitionNotPermittedError(null, 'applied', roles);
    return this.#db.transaction(() => {
      if (!this.#cardholders.exists(cardholderId)) throw new CardholderNotFoundError(cardholderId);
      const live = this.#cards.liveCardOf(cardholderId);
      if (live !== undefined) throw new CardholderHasLiveCardError(cardholderId, live.id);
      return this.#createApplied(cardholderId, null, actor);
    }).immediate();
  }

  approve(cardId: string, req: TransitionRequest): Card {
    return this.changeState(cardId, 'approved', req);
  }

  /**
   * Called when the personalization station finished the card. With `cardNumber` (16 digits, the
   * number written to the card) the number is stored in the same transaction as the transition.
   * @throws as changeState; InvalidCardNumberError; CardNumberTakenError (another card holds it).
   */
  markPersonalized(cardId: string, req: TransitionRequest, cardNumber?: string): Card {
    if (cardNumber === undefined) return this.changeState(cardId, 'personalized', req);
    if (!/^[0-9]{16}$/.test(cardNumber)) throw new InvalidCardNumberError();
    return this.#db.transaction(() => {
      const card = this.#transition(cardId, 'personalized', req);
      const holder = this.#cards.idByCardNumber(cardNumber);
      if ((holder !== undefined && holder !== cardId) || !this.#cards.setCardNumber(cardId, cardNumber)) {
        throw new CardNumberTakenError(cardId);
      }
      this.#audit.record({
        at: card.updatedAt,
        actor: req.actor.id,
        action: 'card.number-assigned',
        target: cardId,
        details: { cardNumber },
      });
      return card;
    }).immediate();
  }

  /** The card was handed to its holder. */
  issue(cardId: string, req: TransitionRequest): Card {
    return this.changeState(cardId, 'issued', req);
  }

  activate(cardId: string, req: TransitionRequest): Card {
    return this.changeState(cardId, 'active', req);
  }

  /** Loss (or theft) report: active -> blocked. Reason defaults to 'lost'. */
  reportLoss(cardId: string, req: TransitionRequest): Card {
    return this.changeState(cardId, 'blocked', { ...req, reason: req.reason ?? 'lost' });
  }

  /** The lost card turned up: blocked -> active. */
  reportFound(cardId: string, req: TransitionRequest): Card {
    return this.changeState(cardId, 'active', { ...req, reason: req.reason ?? 'found' });
  }

  /** Dual control: needs approvedBy. */
  revoke(cardId: string, req: TransitionRequest): Card {
    return this.changeState(cardId, 'revoked', req);
  }

  expire(cardId: string, req: TransitionRequest): Card {
    return this.changeState(cardId, 'expired', { ...req, reason: req.reason ?? 'validity-ended' });
  }

  /**
   * Any transition by target state; 'replaced' goes through replace() and returns the old card.
   * @throws CardNotFoundError; InvalidTransitionError (no such edge: names from, to and why);
   *   TransitionNotPermittedError (role); DualControlRequiredError (missing or invalid approvedBy).
   */
  changeState(cardId: string, to: CardState, req: TransitionRequest): Card {
    if (to === 'replaced') return this.replace(cardId, req).oldCard;
    return this.#db.transaction(() => this.#transition(cardId, to, req)).immediate();
  }

  /**
   * Replaces an active card (handed in) or a blocked one (reissue after loss: dual control).
   * Creates the successor card in state applied, linked to the old one, and schedules the old card's
   * purse balance to move at now + the transfer window. Throws as changeState.
   */
  replace(cardId: string, req: TransitionRequest): Replacement {
    return this.#db.transaction(() => {
      const oldCard = this.#transition(cardId, 'replaced', req);
      const newCard = this.#createApplied(oldCard.cardholderId, oldCard.id, req.actor);
      const now = this.#clock();
      const transfer: BalanceTransfer = {
        id: this.#newId(),
        fromCardId: oldCard.id,
        toCardId: newCard.id,
        dueAt: new Date(now.getTime() + this.#windowMs).toISOString(),
        status: 'scheduled',
        createdAt: now.toISOString(),
      };
      this.#transfers.insert(transfer);
      this.#audit.record({
        at: transfer.createdAt,
        actor: req.actor.id,
        action: 'card.balance-transfer-scheduled',
        target: transfer.id,
        details: { fromCardId: oldCard.id, toCardId: newCard.id, dueAt: transfer.dueAt },
      });
      return { oldCard, newCard, transfer };
    }).immediate();
  }

  /** @throws CardNotFoundError. */
  get(cardId: string): Card {
    const card = this.#cards.findById(cardId);
    if (card === undefined) throw new CardNotFoundError(cardId);
    return card;
  }

  /** The card's 16-digit number, null before personalization. @throws CardNotFoundError. */
  cardNumberOf(cardId: string): string | null {
    const n = this.#cards.cardNumberOf(cardId);
    if (n === undefined) throw new CardNotFoundError(cardId);
    return n;
  }

  /** The card holding this number (for terminals, the hotlist and identity checks), if any. */
  findByCardNumber(cardNumber: string): Card | undefined {
    return this.#cards.findByCardNumber(cardNumber);
  }

  cardsOf(cardholderId: string): Card[] {
    return this.#cards.forCardholder(cardholderId);
  }

  /** The scheduled transfer away from a replaced card, if any. */
  balanceTransferFrom(cardId: string): BalanceTransfer | undefined {
    return this.#transfers.fromCard(cardId);
  }

  /** Transfers that may run at `at` (for the clearing job of issue 6). */
  balanceTransfersDue(at: Date): BalanceTransfer[] {
    return this.#transfers.dueAt(at.toISOString());
  }

  // Runs inside the caller's transaction.
  #transition(cardId: string, to: CardState, req: TransitionRequest): Card {
    const card = this.#cards.findById(cardId);
    if (card === undefined) throw new CardNotFoundError(cardId);
    const t = findTransition(card.state, to);
    if (t === undefined) throw new InvalidTransitionError(card.state, to, refusalReason(card.state, to));
    this.#authorize(t, req);
    const at = this.#clock().toISOString();
    // Cannot fail inside the IMMEDIATE transaction; kept as a guard should a caller bypass it.
    if (!this.#cards.updateState(cardId, t.from, t.to, at)) {
      throw new InvalidTransitionError(card.state, to, 'the card changed state meanwhile');
    }
    this.#audit.record({
      at,
      actor: req.actor.id,
      action: `card.${t.event}`,
      target: cardId,
      details: {
        cardholderId: card.cardholderId,
        from: t.from,
        to: t.to,
        reason: req.reason ?? null,
        approvedBy: t.dualControl ? (req.approvedBy?.id ?? null) : null,
      },
    });
    return { ...card, state: t.to, updatedAt: at };
  }

  #authorize(t: Transition, req: TransitionRequest): void {
    if (!hasAnyRole(req.actor, t.roles)) throw new TransitionNotPermittedError(t.from, t.to, t.roles);
    if (!t.dualControl) return;
    const approver = req.approvedBy;
    if (approver === undefined) throw new DualControlRequiredError(t.from, t.to, 'no second approval was given');
    if (approver.id === req.actor.id) {
      throw new DualControlRequiredError(t.from, t.to, 'the approver must be a different person from the actor');
    }
    if (!hasAnyRole(approver, APPROVER_ROLES)) {
      throw new DualControlRequiredError(t.from, t.to, `the approver must hold one of the roles ${APPROVER_ROLES.join(', ')}`);
    }
  }

  #createApplied(cardholderId: string, replacesCardId: string | null, actor: LifecycleActor): Card {
    const now = this.#clock().toISOString();
    const card: Card = { id: this.#newId(), cardholderId, state: 'applied', replacesCardId, createdAt: now, updatedAt: now };
    this.#cards.insert(card);
    this.#audit.record({
      at: now,
      actor: actor.id,
      action: 'card.applied',
      target: card.id,
      details: { cardholderId, replacesCardId },
    });
    return card;
  }
}
