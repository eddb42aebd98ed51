/**
 * The card life cycle over HTTP: apply, read, and one POST action per transition. Loss reports,
 * found reports, revocations and replacements change the hotlist (CardDesk); revocation and
 * reissue after loss answer with an approval request that a different supervisor or admin
 * approves through POST /api/v1/approvals/:id/approve.
 */
import { z } from 'zod';
import type { Card } from '../domain/cards/card.js';
import type { CardLifecycle, Replacement } from '../domain/cards/cardLifecycle.js';
import { actorFromStaff, transitionBodySchema } from '../domain/cards/transitionInput.js';
import type { Role } from '../domain/staff/roles.js';
import type { AuthenticatedStaff } from '../domain/staff/sessions.js';
import { cardErrorStatuses, withCardErrors } from './cardholderErrors.js';
import { cardholderParamsSchema } from './cardholderSchemas.js';
import {
  approvalResultSchema,
  cardListViewSchema,
  cardParamsSchema,
  cardViewSchema,
  personalizedBodySchema,
  reasonRequiredBodySchema,
  replaceResultSchema,
} from './cardSchemas.js';
import type { BackendContext, RouteModule } from './context.js';

const DESK: readonly Role[] = ['clerk', 'supervisor', 'admin'];
const SENIOR: readonly Role[] = ['supervisor', 'admin'];
const READERS: readonly Role[] = ['clerk', 'supervisor', 'auditor', 'admin'];
const TAGS = ['cards'];

/** The card as answered: its record and its number (null before personalization). */
function view(cards: CardLifecycle, card: Card): Card & { cardNumber: string | null } {
  return { ...card, cardNumber: cards.cardNumberOf(card.id) };
}

function replacementView(cards: CardLifecycle, r: Replacement) {
  return { oldCard: view(cards, r.oldCard), newCard: view(cards, r.newCard), transfer: r.transfer };
}

/** Plain transitions: action path, roles admitted, summary, and the use case. */
type Step = (ctx: BackendContext, cardId: string, staff: AuthenticatedStaff, reason: TransitionReason) => Card | Promise<Card>;
type TransitionReason = ReturnType<typeof transitionBodySchema.parse>['reason'];

const STEPS: readonly { action: string; roles: readonly Role[]; summary: string; run: Step }[] = [
  {
    action: 'approve', roles: SENIOR, summary: 'Approve a card application (applied -> approved)',
    run: (c, id, s, reason) => c.cards.approve(id, { actor: actorFromStaff(s), reason }),
  },
  {
    action: 'issue', roles: DESK, summary: 'Hand the personalized card to its holder (personalized -> issued)',
    run: (c, id, s, reason) => c.cards.issue(id, { actor: actorFromStaff(s), reason }),
  },
  {
    action: 'activate', roles: DESK, summary: 'Activate an issued card (issued -> active)',
    run: (c, id, s, reason) => c.cards.activate(id, { actor: actorFromStaff(s), reason }),
  },
  {
    action: 'loss-report', roles: DESK, summary: 'Report a card lost or stolen: block it and put it on the hotlist',
    run: (c, id, s, reason) => c.cardDesk.reportLoss(id, { actor: actorFromStaff(s), reason }),
  },
  {
    action: 'found', roles: DESK, summary: 'A lost card turned up: unblock it and take it off the hotlist',
    run: (c, id, s, reason) => c.cardDesk.reportFound(id, { actor: actorFromStaff(s), reason }),
  },
  {
    action: 'expire', roles: ['admin'], summary: 'End a card’s validity (active or blocked -> expired)',
    run: (c, id, s, reason) => c.cards.expire(id, { actor: actorFromStaff(s), reason }),
  },
];

export const cardRoutes: RouteModule = (registry, ctx) => {
  cardErrorStatuses(registry, ctx);
  registry.add({
    method: 'post',
    path: '/api/v1/cardholders/:id/cards',
    summary: 'Apply for a card for a cardholder (new card in state applied)',
    tags: TAGS,
    access: { roles: DESK },
    status: 201,
    params: cardholderParamsSchema,
    body: z.strictObject({}).optional(),
    response: cardViewSchema,
    handler: ({ params, staff }) => staff && withCardErrors(() => view(ctx.cards, ctx.cards.applyForCard(params.id, actorFromStaff(staff)))),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/cardholders/:id/cards',
    summary: 'The cards of one cardholder, oldest first',
    tags: TAGS,
    access: { roles: READERS },
    params: cardholderParamsSchema,
    response: cardListViewSchema,
    handler: ({ params }) => withCardErrors(() => ({ cards: ctx.cards.cardsOf(params.id).map((c) => view(ctx.cards, c)) })),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/cards/:id',
    summary: 'One card: state, number, predecessor',
    tags: TAGS,
    access: { roles: READERS },
    params: cardParamsSchema,
    response: cardViewSchema,
    handler: ({ params }) => withCardErrors(() => view(ctx.cards, ctx.cards.get(params.id))),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/cards/:id/personalized',
    summary: 'Record that the card was personalized with this card number (approved -> personalized)',
    tags: TAGS,
    access: { roles: DESK },
    params: cardParamsSchema,
    body: personalizedBodySchema,
    response: cardViewSchema,
    handler: ({ params, body, staff }) =>
      staff &&
      withCardErrors(() =>
        view(ctx.cards, ctx.cards.markPersonalized(params.id, { actor: actorFromStaff(staff), reason: body.reason }, body.cardNumber)),
      ),
  });
  for (const step of STEPS) {
    registry.add({
      method: 'post',
      path: `/api/v1/cards/:id/${step.action}`,
      summary: step.summary,
      tags: TAGS,
      access: { roles: step.roles },
      params: cardParamsSchema,
      // No body, or { reason }.
      body: transitionBodySchema.optional(),
      response: cardViewSchema,
      handler: ({ params, body, staff }) =>
        staff && withCardErrors(async () => view(ctx.cards, await step.run(ctx, params.id, staff, body?.reason))),
    });
  }
  registry.add({
    method: 'post',
    path: '/api/v1/cards/:id/replace',
    summary: 'Replace a card: at once when handed in (active); a blocked (lost) card needs a second person (answers the approval request)',
    tags: TAGS,
    access: { roles: DESK },
    params: cardParamsSchema,
    body: reasonRequiredBodySchema,
    response: replaceResultSchema,
    handler: ({ params, body, staff }) =>
      staff &&
      withCardErrors(async () => {
        const outcome = await ctx.cardDesk.replaceOrRequest(params.id, body.reason, staff);
        return outcome.replacement === null
          ? { replacement: null, approval: outcome.approval }
          : { replacement: replacementView(ctx.cards, outcome.replacement), approval: null };
      }),
  });
  registry.add({
    method: 'post',
    path: '/api/v1/cards/:id/revoke',
    summary: 'Ask for a card revocation; a different supervisor or admin approves it (POST /api/v1/approvals/:id/approve)',
    tags: TAGS,
    access: { roles: SENIOR },
    status: 202,
    params: cardParamsSchema,
    body: reasonRequiredBodySchema,
    response: approvalResultSchema,
    handler: ({ params, body, staff }) =>
      staff && withCardErrors(() => ({ approval: ctx.cardDesk.requestRevoke(params.id, body.reason, staff) })),
  });
};
