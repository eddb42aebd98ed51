/**
 * Cardholder authentication against the backend, after the card accepted the PIN:
 *
 * 1. backend: a fresh nonce for this kiosk and service point
 * 2. card:    INTERNAL AUTHENTICATE P2 02 over the nonce (needs the PIN), checked with the
 *             certified key
 * 3. backend: checks nonce, certificate, signature and the card's state; answers a signed
 *             assertion (or 403 with the reason: CARD_NOT_ACTIVE for a card reported lost, ...)
 * 4. kiosk:   verifies the assertion with the backend's Ed25519 key; what the page shows (name,
 *             service point, expiry) comes from its verified claims
 *
 * When the backend cannot be reached the session goes offline: the card and PIN still proved the
 * cardholder to the card, and the name shown is the one the card stores (READ BINARY SFI 02).
 * Throws what the card, the backend (`BackendRefusedError`) and the assertion check
 * (`AssertionRejectedError`) throw.
 */
import { checkIdentityAssertion } from './identityAssertion.js';
import { BackendUnreachableError, type KioskBackend } from './kioskBackend.js';
import type { CardSession } from './kioskSession.js';

export interface ConfirmContext {
  readonly backend: KioskBackend;
  readonly servicePoint: string;
  readonly clock: () => Date;
}

/** Fill the session's holder (online or offline); see the module comment. */
export async function confirmIdentity(ctx: ConfirmContext, session: CardSession): Promise<void> {
  try {
    const { nonce } = await ctx.backend.issueNonce(ctx.servicePoint);
    const proof = await session.identity.authenticateCardholder(nonce);
    const verdict = await ctx.backend.verifyIdentity({
      servicePoint: ctx.servicePoint,
      nonce,
      cardNumber: session.cardNumber,
      certificate: session.certificate.raw,
      signature: proof.signature,
    });
    const claims = checkIdentityAssertion(verdict.assertion, await ctx.backend.assertionPublicKey(), {
      now: ctx.clock(),
      cardNumber: session.cardNumber,
      servicePoint: ctx.servicePoint,
    });
    session.assertion = verdict.assertion;
    session.offline = false;
    session.holder = {
      name: claims.name,
      servicePoint: claims.spt,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      confirmedBy: 'backend',
    };
  } catch (err) {
    if (!(err instanceof BackendUnreachableError)) throw err;
    const holder = await session.identity.readCardholder();
    session.assertion = undefined;
    session.offline = true;
    session.holder = { name: holder.name, servicePoint: ctx.servicePoint, confirmedBy: 'card' };
  }
}
