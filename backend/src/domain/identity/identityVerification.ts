/**
 * Identity verification for services. A terminal asks for a nonce; the card signs it with
 * cardholder authentication (INTERNAL AUTHENTICATE P2 02, after the PIN); the backend checks the
 * nonce, the card certificate against the city CA, the signature and the card's state, then
 * vouches for the cardholder at that service point with a short-lived signed assertion.
 */
import { type KeyObject, type X509Certificate, createHash, randomBytes } from 'node:crypto';
import { AUTH_MODE } from '@citycard/protocols';
import { IdentityCryptoError, loadCaCertificate, verifyAuthSignature, verifyCardCertificate } from '@citycard/terminal-agent/id';
import { type IdentityClaims, signIdentityAssertion } from './assertion.js';
import { type IdentityRefusalReason, IdentityRefusedError } from './errors.js';
import type { CardStatusLookup, CardholderLookup } from './lookups.js';
import type { NonceRedemption, NonceStore } from './nonceStore.js';

/** File (in the data directory) of the key that signs assertions; kept apart from the hotlist key. */
export const IDENTITY_ASSERTION_KEY_FILE = 'identity-assertion-key.pem';
export const NONCE_LENGTH = 32;
export const DEFAULT_NONCE_TTL_MS = 60_000;
export const DEFAULT_ASSERTION_TTL_MS = 5 * 60_000;

export interface IdentityVerificationDeps {
  /** Where nonces live between issue and use (Redis, or SQLite when no Redis is configured). */
  readonly nonces: NonceStore;
  /** The city CA certificate (PEM, DER or parsed). */
  readonly caCertificate: X509Certificate | string | Uint8Array;
  readonly cardStatus: CardStatusLookup;
  readonly cardholders: CardholderLookup;
  /** Ed25519 key that signs assertions. */
  readonly signingKey: KeyObject;
  /** `iss` of assertions; default 'citycard-backend'. */
  readonly issuer?: string;
  readonly now?: () => Date;
  readonly nonceTtlMs?: number;
  readonly assertionTtlMs?: number;
  /** Default: node:crypto randomBytes. */
  readonly random?: (length: number) => Buffer;
}

/** Who asks: the terminal (authenticated by the HTTP layer) and the service point it serves. */
export interface NonceRequest {
  readonly terminalId: string;
  readonly servicePoint: string;
}

export interface IssuedNonce {
  /** 32 random bytes for the card to sign. */
  readonly nonce: Buffer;
  readonly expiresAt: Date;
}

export interface IdentityProof extends NonceRequest {
  readonly nonce: Uint8Array;
  /** 16 digits, as the card info states it. */
  readonly cardNumber: string;
  /** The card certificate (DER) read from the ID application. */
  readonly certificateDer: Uint8Array;
  /** INTERNAL AUTHENTICATE P2 02 response: 256 bytes. */
  readonly signature: Uint8Array;
}

export interface IdentityAssertion {
  /** Compact JWS. */
  readonly assertion: string;
  readonly claims: IdentityClaims;
  readonly expiresAt: Date;
}

export class IdentityVerification {
  readonly #deps;
  readonly #ca: X509Certificate;
  readonly #now;
  readonly #random;

  /** Throws `IdentityCryptoError` `CA_MALFORMED` or `CA_NOT_A_CA` for an unusable CA certificate. */
  constructor(deps: IdentityVerificationDeps) {
    this.#deps = deps;
    this.#ca = loadCaCertificate(deps.caCertificate);
    this.#now = deps.now ?? (() => new Date());
    this.#random = deps.random ?? randomBytes;
  }

  /**
   * A fresh single-use nonce bound to the terminal and service point; only its hash is stored.
   * Throws `NonceStoreError` when the nonce store fails.
   */
  async issueNonce(request: NonceRequest): Promise<IssuedNonce> {
    const nonce = this.#random(NONCE_LENGTH);
    const now = this.#now();
    const expiresAt = new Date(now.getTime() + (this.#deps.nonceTtlMs ?? DEFAULT_NONCE_TTL_MS));
    await this.#deps.nonces.issue({
      nonceHash: nonceHash(nonce),
      terminalId: request.terminalId,
      servicePoint: request.servicePoint,
      issuedAt: now,
      expiresAt,
    });
    return { nonce, expiresAt };
  }

  /**
   * Check a proof and vouch for the cardholder. The nonce is used up by any attempt that names
   * the right terminal, so a refused signature cannot be retried on it. Throws
   * `IdentityRefusedError` with the reason NONCE_UNKNOWN, NONCE_WRONG_TERMINAL, NONCE_REPLAYED,
   * NONCE_EXPIRED, CERT_INVALID, SIGNATURE_INVALID or CARD_NOT_ACTIVE (checked in that order),
   * and `NonceStoreError` when the nonce store fails.
   */
  async verify(proof: IdentityProof): Promise<IdentityAssertion> {
    const now = this.#now();
    // The nonce goes to the store first; certificate and signature are checked while it answers
    // (a network round trip with Redis). The nonce's verdict still comes first.
    const redemption = this.#useNonce(proof, now).then(
      () => undefined,
      (err: unknown) => ({ err }),
    );
    let refusal: { err: unknown } | undefined;
    try {
      this.#checkSignature(proof, now);
    } catch (err) {
      refusal = { err };
    }
    const nonceRefusal = await redemption;
    if (nonceRefusal !== undefined) throw nonceRefusal.err;
    if (refusal !== undefined) throw refusal.err;
    const state = await this.#deps.cardStatus(proof.cardNumber);
    if (state !== 'active') {
      throw new IdentityRefusedError('CARD_NOT_ACTIVE', `the card is ${state ?? 'unknown'}, not active`);
    }
    const holder = await this.#deps.cardholders(proof.cardNumber);
    if (holder === undefined) throw new IdentityRefusedError('CARD_NOT_ACTIVE', 'the card has no cardholder');
    const iat = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((iat * 1000) + (this.#deps.assertionTtlMs ?? DEFAULT_ASSERTION_TTL_MS));
    const claims: IdentityClaims = {
      iss: this.#deps.issuer ?? 'citycard-backend',
      sub: holder.id,
      name: holder.name,
      card: proof.cardNumber,
      spt: proof.servicePoint,
      trm: proof.terminalId,
      amr: ['pin', 'hwk'],
      iat,
      exp: Math.floor(expiresAt.getTime() / 1000),
      jti: this.#random(16).toString('base64url'),
    };
    return { assertion: signIdentityAssertion(claims, this.#deps.signingKey), claims, expiresAt };
  }

  /**
   * Deletes nonces expired before now; returns how many (for the periodic purge). 0 for stores
   * that expire nonces themselves.
   */
  purgeExpiredNonces(): number {
    return this.#deps.nonces.purgeExpired?.(this.#now()) ?? 0;
  }

  async #useNonce(proof: IdentityProof, now: Date): Promise<void> {
    if (proof.nonce.length !== NONCE_LENGTH) throw new IdentityRefusedError('NONCE_UNKNOWN', 'no such nonce was issued');
    // A nonce presented by the wrong terminal is left usable (the store checks the binding
    // first): that terminal may not burn another's.
    const outcome = await this.#deps.nonces.redeem(nonceHash(proof.nonce), { terminalId: proof.terminalId, servicePoint: proof.servicePoint }, now);
    const refusal = NONCE_REFUSALS[outcome];
    if (refusal !== undefined) throw new IdentityRefusedError(refusal.reason, refusal.message);
  }

  /** Throws `IdentityRefusedError` CERT_INVALID or SIGNATURE_INVALID. */
  #checkSignature(proof: IdentityProof, at: Date): void {
    const cert = this.#checkCertificate(proof, at);
    try {
      verifyAuthSignature(cert, AUTH_MODE.cardholder, proof.nonce, proof.signature);
    } catch (err) {
      throw new IdentityRefusedError('SIGNATURE_INVALID', 'the cardholder signature does not verify', { cause: err });
    }
  }

  #checkCertificate(proof: IdentityProof, at: Date): X509Certificate {
    try {
      return verifyCardCertificate(proof.certificateDer, this.#ca, { at, cardNumber: proof.cardNumber });
    } catch (err) {
      if (err instanceof IdentityCryptoError) {
        throw new IdentityRefusedError('CERT_INVALID', `the card certificate is not valid (${err.reason})`, { cause: err });
      }
      throw err;
    }
  }
}

const NONCE_REFUSALS: Readonly<Record<NonceRedemption, { reason: IdentityRefusalReason; message: string } | undefined>> = {
  redeemed: undefined,
  unknown: { reason: 'NONCE_UNKNOWN', message: 'no such nonce was issued' },
  wrong_terminal: { reason: 'NONCE_WRONG_TERMINAL', message: 'the nonce was issued to another terminal or service point' },
  replayed: { reason: 'NONCE_REPLAYED', message: 'the nonce was used before' },
  expired: { reason: 'NONCE_EXPIRED', message: 'the nonce has expired' },
};

/** SHA-256 of a nonce, lower-case hex: the only form stored. */
export function nonceHash(nonce: Uint8Array): string {
  return createHash('sha256').update(nonce).digest('hex');
}
