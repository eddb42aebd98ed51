/**
 * The cardholder registry over HTTP. Every read of personal data names its purpose (query
 * `purpose`, one of ACCESS_PURPOSES); the registry logs who read, when and why in the same
 * transaction as the read, and GET .../access-log shows that log.
 */
import { z } from 'zod';
import { contactUpdateSchema, enrollCardholderSchema } from '../domain/cardholders/cardholderSchema.js';
import { withCardErrors } from './cardholderErrors.js';
import {
  accessLogViewSchema,
  cardholderParamsSchema,
  cardholderViewSchema,
  readQuerySchema,
  searchQuerySchema,
} from './cardholderSchemas.js';
import type { RouteModule } from './context.js';

const DESK = { roles: ['clerk', 'supervisor', 'admin'] as const };
const READERS = { roles: ['clerk', 'supervisor', 'auditor', 'admin'] as const };
const OVERSIGHT = { roles: ['supervisor', 'auditor', 'admin'] as const };
const TAGS = ['cardholders'];

export const cardholderRoutes: RouteModule = (registry, ctx) => {
  registry.add({
    method: 'post',
    path: '/api/v1/cardholders',
    summary: 'Enroll a resident or a member of the floating population',
    tags: TAGS,
    access: DESK,
    status: 201,
    body: enrollCardholderSchema,
    response: cardholderViewSchema,
    // The registry validates again: it is the owner of the rules (birth date, permit expiry).
    handler: ({ body, staff }) => staff && withCardErrors(() => ctx.cardholders.enroll(body, staff.id)),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/cardholders',
    summary: 'Search by name prefix, citizen ID or household; each cardholder returned is logged as read',
    tags: TAGS,
    access: READERS,
    query: searchQuerySchema,
    response: z.object({ cardholders: z.array(cardholderViewSchema) }),
    handler: ({ query, staff }) =>
      staff &&
      withCardErrors(() => ({
        cardholders: ctx.cardholders.search(
          {
            ...(query.name === undefined ? {} : { namePrefix: query.name }),
            ...(query.citizenId === undefined ? {} : { citizenId: query.citizenId }),
            ...(query.household === undefined ? {} : { householdId: query.household }),
            limit: query.limit,
          },
          { accessor: staff.id, purpose: query.purpose },
        ),
      })),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/cardholders/:id',
    summary: 'Read one cardholder (logged with the purpose)',
    tags: TAGS,
    access: READERS,
    params: cardholderParamsSchema,
    query: readQuerySchema,
    response: cardholderViewSchema,
    handler: ({ params, query, staff }) =>
      staff && withCardErrors(() => ctx.cardholders.get(params.id, { accessor: staff.id, purpose: query.purpose })),
  });
  registry.add({
    method: 'patch',
    path: '/api/v1/cardholders/:id/contact',
    summary: 'Change phone (null removes it) and/or address',
    tags: TAGS,
    access: DESK,
    params: cardholderParamsSchema,
    body: contactUpdateSchema,
    handler: ({ params, body, staff }) =>
      staff && withCardErrors(() => ctx.cardholders.updateContact(params.id, body, staff.id)),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/cardholders/:id/access-log',
    summary: 'Who read this cardholder’s personal data, when and why, oldest first',
    tags: TAGS,
    access: OVERSIGHT,
    params: cardholderParamsSchema,
    response: accessLogViewSchema,
    handler: ({ params }) => withCardErrors(() => ({ entries: ctx.cardholders.accessLogFor(params.id) })),
  });
};
