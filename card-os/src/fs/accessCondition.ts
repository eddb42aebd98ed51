/**
 * Access conditions of a file operation (read, update): always, never, a PIN verified in this
 * session, or a hook for conditions the runtime does not know (key-based, e.g. secure messaging
 * of a later application). Evaluating one never throws on the good path: it returns 0 when
 * granted, else the status word to answer with.
 */
import { SW } from '@citycard/protocols';
import type { CommandContext } from '../runtime/context.js';

export type AccessCondition =
  | { readonly kind: 'always' }
  | { readonly kind: 'never' }
  | { readonly kind: 'pin'; readonly ref: number }
  | {
      readonly kind: 'custom';
      /** Shown in diagnostics, e.g. 'purse maintenance MAC'. */
      readonly name: string;
      /** Whether the current volatile security state grants the operation. Must not throw. */
      readonly check: (ctx: CommandContext) => boolean;
    };

export const ALWAYS: AccessCondition = { kind: 'always' };
export const NEVER: AccessCondition = { kind: 'never' };

/** Granted once the PIN `ref` (1 to 255) was verified since the last power on / application SELECT. */
export function pinVerified(ref: number): AccessCondition {
  if (!Number.isInteger(ref) || ref < 1 || ref > 0xff) throw new RangeError(`PIN reference must be 1 to 255, got ${ref}`);
  return { kind: 'pin', ref };
}

/** A condition decided by `check` (see {@link AccessCondition}). */
export function customCondition(name: string, check: (ctx: CommandContext) => boolean): AccessCondition {
  return { kind: 'custom', name, check };
}

/**
 * 0 when `condition` is satisfied now; otherwise `6985` for never (no security state can grant
 * it) and `6982` for a PIN or custom condition not (yet) satisfied.
 */
export function accessStatus(condition: AccessCondition, ctx: CommandContext): number {
  switch (condition.kind) {
    case 'always':
      return 0;
    case 'never':
      return SW.CONDITIONS_NOT_SATISFIED;
    case 'pin':
      return ctx.session.isVerified(condition.ref) ? 0 : SW.SECURITY_STATUS_NOT_SATISFIED;
    case 'custom':
      return condition.check(ctx) ? 0 : SW.SECURITY_STATUS_NOT_SATISFIED;
  }
}
