/**
 * The bureau's card actions as short stories: each lifecycle transition together with what it
 * means for the hotlist (a lost card is listed, a found one delisted, a revoked or replaced one
 * listed), and the dual-control requests for revocation and reissue after loss.
 *
 * Order: the transition commits first, then the hotlist changes, so a refused transition never
 * lists a card. A card without a number (never personalized with one) has nothing to list.
 */
import type { ApprovalView, Approvals } from '../approvals/approvals.js';
import type { StaffPrincipal } from '../staff/roles.js';
import type { Card, ReasonCode } from './card.js';
import type { CardLifecycle, Replacement, TransitionRequest } from './cardLifecycle.js';
import { InvalidTransitionError } from './errors.js';
import { findTransition, refusalReason } from './transitions.js';
import { actorFromStaff } from './transitionInput.js';

/** What the desk needs of the hotlist (domain/hotlist Hotlist fits). */
export interface CardListing {
  listCard(cardNumber: string, reason: 'lost' | 'stolen' | 'revoked' | 'replaced'): Promise<unknown>;
  delistCard(cardNumber: string): Promise<unknown>;
  isListed(cardNumber: string): boolean;
}

/** Approval kind names of the card actions that need a second person. */
export const CARD_REVOKE = 'card.revoke';
export const CARD_REISSUE = 'card.reissue';

/** A replacement done at once (card handed in), or the request a second person must approve (card lost). */
export type ReplaceOutcome = { replacement: Replacement; approval: null } | { replacement: null; approval: ApprovalView };

export class CardDesk {
  constructor(
    private readonly lifecycle: CardLifecycle,
    private readonly hotlist: CardListing,
    private readonly approvals: Approvals,
  ) {}

  /** active -> blocked, then lists the card ('stolen' when so reported, else 'lost'). Throws as CardLifecycle.changeState. */
  async reportLoss(cardId: string, req: TransitionRequest): Promise<Card> {
    const card = this.lifecycle.reportLoss(cardId, req);
    const n = this.lifecycle.cardNumberOf(cardId);
    if (n !== null) await this.hotlist.listCard(n, req.reason === 'stolen' ? 'stolen' : 'lost');
    return card;
  }

  /** blocked -> active, then delists the card. Throws as CardLifecycle.changeState. */
  async reportFound(cardId: string, req: TransitionRequest): Promise<Card> {
    const card = this.lifecycle.reportFound(cardId, req);
    const n = this.lifecycle.cardNumberOf(cardId);
    if (n !== null && this.hotlist.isListed(n)) await this.hotlist.delistCard(n);
    return card;
  }

  /** Revocation with its second approval (`req.approvedBy`), then lists the card 'revoked'. */
  async revoke(cardId: string, req: TransitionRequest): Promise<Card> {
    const card = this.lifecycle.revoke(cardId, req);
    const n = this.lifecycle.cardNumberOf(cardId);
    // A card listed as lost stays listed under that entry: listing again adds no version.
    if (n !== null) await this.hotlist.listCard(n, 'revoked');
    return card;
  }

  /** Replacement (with `req.approvedBy` when the card is blocked); the old card is listed 'replaced'. */
  async replace(cardId: string, req: TransitionRequest): Promise<Replacement> {
    const replacement = this.lifecycle.replace(cardId, req);
    const n = this.lifecycle.cardNumberOf(cardId);
    // Its balance moves to the successor, so the old card must not pay any more either.
    if (n !== null) await this.hotlist.listCard(n, 'replaced');
    return replacement;
  }

  /**
   * Asks for a revocation; a different supervisor or admin approves it (approval kind card.revoke).
   * @throws CardNotFoundError; InvalidTransitionError when the card cannot be revoked from its state;
   *   ApprovalForbiddenError when the requester's role may not ask.
   */
  requestRevoke(cardId: string, reason: ReasonCode, requester: StaffPrincipal): ApprovalView {
    this.checkEdge(cardId, 'revoked');
    return this.approvals.requestApproval(CARD_REVOKE, { cardId, reason }, requester);
  }

  /**
   * Replaces an active card at once, or asks for the reissue of a blocked (lost) card, which a
   * different supervisor or admin approves (approval kind card.reissue).
   * @throws as CardLifecycle.replace and requestRevoke.
   */
  async replaceOrRequest(cardId: string, reason: ReasonCode, requester: StaffPrincipal): Promise<ReplaceOutcome> {
    const card = this.lifecycle.get(cardId);
    if (card.state === 'blocked') {
      return { replacement: null, approval: this.approvals.requestApproval(CARD_REISSUE, { cardId, reason }, requester) };
    }
    return { replacement: await this.replace(cardId, { actor: actorFromStaff(requester), reason }), approval: null };
  }

  // Refuses a request that could never be executed, before anyone is asked to approve it.
  private checkEdge(cardId: string, to: 'revoked'): void {
    const card = this.lifecycle.get(cardId);
    if (findTransition(card.state, to) === undefined) throw new InvalidTransitionError(card.state, to, refusalReason(card.state, to));
  }
}
