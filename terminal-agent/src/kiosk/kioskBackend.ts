/**
 * The port through which the kiosk talks to the city backend, as the registered terminal it is:
 * nonces and identity verification (backend identity routes) and the cardholder's data-access log
 * (backend kiosk route). `HttpKioskBackend` is the adapter over HTTP.
 */
import type { KeyObject } from 'node:crypto';

export interface IdentityProofRequest {
  readonly servicePoint: string;
  /** The nonce the backend issued, as signed by the card. */
  readonly nonce: Uint8Array;
  readonly cardNumber: string;
  /** The card certificate, DER. */
  readonly certificate: Uint8Array;
  /** INTERNAL AUTHENTICATE P2 02 signature over the nonce, 256 bytes. */
  readonly signature: Uint8Array;
}

export interface IdentityVerdict {
  /** Compact JWS signed by the backend (Ed25519). */
  readonly assertion: string;
  readonly expiresAt: string;
  readonly cardholder: { readonly id: string; readonly name: string };
}

/** Who read a cardholder's data, as the backend describes it to the citizen. */
export type AccessorView =
  | { readonly kind: 'staff'; readonly role: string }
  | { readonly kind: 'terminal'; readonly terminalNumber: string }
  | { readonly kind: 'kiosk' }
  | { readonly kind: 'other' };

export interface AccessLogEntryView {
  /** ISO 8601. */
  readonly at: string;
  readonly purpose: string;
  readonly accessor: AccessorView;
}

export interface KioskBackend {
  /** A single-use nonce for this kiosk and service point. */
  issueNonce(servicePoint: string): Promise<{ readonly nonce: Buffer; readonly expiresAt: string }>;
  /** Check the card's proof; the backend's signed assertion, or `BackendRefusedError` with its reason code. */
  verifyIdentity(proof: IdentityProofRequest): Promise<IdentityVerdict>;
  /** The Ed25519 key that signs assertions. */
  assertionPublicKey(): Promise<KeyObject>;
  /** The data-access log of the cardholder the assertion names, newest first. */
  accessLog(assertion: string): Promise<readonly AccessLogEntryView[]>;
}

/** The backend could not be reached or answered as a server in trouble (5xx, not JSON). */
export class BackendUnreachableError extends Error {
  override readonly name: string = 'BackendUnreachableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The backend answered with a refusal (4xx) and its stable code. */
export class BackendRefusedError extends Error {
  override readonly name: string = 'BackendRefusedError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(`${status} ${code}: ${message}`, options);
    this.status = status;
    this.code = code;
  }
}
