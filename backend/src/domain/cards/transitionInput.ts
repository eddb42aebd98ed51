import { z } from 'zod';
import type { StaffPrincipal } from '../staff/roles.js';
import { REASON_CODES, type LifecycleActor } from './card.js';

/** Body of a transition route: an optional reason code, nothing else (free text never reaches the audit log). */
export const transitionBodySchema = z.strictObject({ reason: z.enum(REASON_CODES).optional() });
export type TransitionBody = z.infer<typeof transitionBodySchema>;

/** The lifecycle actor for a signed-in staff member (one role each). */
export function actorFromStaff(principal: Pick<StaffPrincipal, 'id' | 'role'>): LifecycleActor {
  return { id: principal.id, roles: [principal.role] };
}
