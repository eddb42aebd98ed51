/**
 * Offline checks of the ID application's certificate and authentication signatures (card
 * interface spec §3), with node:crypto. A card is genuine when its certificate was issued by the
 * city CA, is valid now, names the card number that card info states, and the card signs a fresh
 * challenge with the certified key.
 */
import { X509Certificate, constants, verify } from 'node:crypto';
import { type AuthMode, authSignedMessage } from '@citycard/protocols';
import { IdentityCryptoError } from './errors.js';

/** RSA key size of card keys. */
export const CARD_KEY_BITS = 2048;

/**
 * Parse the city CA certificate (PEM text, DER bytes, or already parsed) and check it is a CA.
 * Throws `IdentityCryptoError` `CA_MALFORMED` or `CA_NOT_A_CA`.
 */
export function loadCaCertificate(ca: X509Certificate | string | Uint8Array): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = ca instanceof X509Certificate ? ca : new X509Certificate(typeof ca === 'string' ? ca : Buffer.from(ca));
  } catch (err) {
    throw new IdentityCryptoError('CA_MALFORMED', 'the city CA certificate does not parse', { cause: err });
  }
  if (!cert.ca) throw new IdentityCryptoError('CA_NOT_A_CA', 'the city CA certificate is not a CA certificate (basicConstraints cA)');
  return cert;
}

/**
 * Verify a card certificate offline at `at`. Checks in order: the CA is a CA and valid at `at`;
 * the certificate parses, names the CA as issuer and carries the CA's signature; it is valid at
 * `at`; every CN and serialNumber of its subject (at least one) is `cardNumber`; its key is
 * RSA-2048. Returns the parsed certificate; throws `IdentityCryptoError` with the reason
 * `CA_NOT_A_CA`, `CA_NOT_VALID`, `CERT_MALFORMED`, `CERT_NOT_ISSUED_BY_CA`, `CERT_NOT_YET_VALID`,
 * `CERT_EXPIRED`, `CARD_NUMBER_MISMATCH` or `CERT_KEY_UNSUITABLE`.
 */
export function verifyCardCertificate(
  der: Uint8Array,
  ca: X509Certificate,
  expected: { readonly at: Date; readonly cardNumber: string },
): X509Certificate {
  const at = expected.at.getTime();
  if (!ca.ca) throw new IdentityCryptoError('CA_NOT_A_CA', 'the city CA certificate is not a CA certificate (basicConstraints cA)');
  if (!validAt(ca, at)) {
    throw new IdentityCryptoError('CA_NOT_VALID', `the city CA certificate is not valid at ${expected.at.toISOString()}`);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(der));
  } catch (err) {
    throw new IdentityCryptoError('CERT_MALFORMED', 'the card certificate does not parse', { cause: err });
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new IdentityCryptoError('CERT_NOT_ISSUED_BY_CA', 'the card certificate was not issued by the city CA');
  }
  if (at < Date.parse(cert.validFrom)) {
    throw new IdentityCryptoError('CERT_NOT_YET_VALID', `the card certificate is valid only from ${cert.validFrom}`);
  }
  if (at > Date.parse(cert.validTo)) {
    throw new IdentityCryptoError('CERT_EXPIRED', `the card certificate expired on ${cert.validTo}`);
  }
  const numbers = subjectCardNumbers(cert);
  if (numbers.length === 0 || numbers.some((n) => n !== expected.cardNumber)) {
    throw new IdentityCryptoError(
      'CARD_NUMBER_MISMATCH',
      `the card certificate does not name card ${expected.cardNumber} (subject has ${numbers.join(', ') || 'no card number'})`,
    );
  }
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails?.modulusLength !== CARD_KEY_BITS) {
    throw new IdentityCryptoError('CERT_KEY_UNSUITABLE', `the card key must be RSA-${CARD_KEY_BITS}`);
  }
  return cert;
}

/**
 * Check an INTERNAL AUTHENTICATE signature: RSASSA-PKCS1-v1_5 with SHA-256 by the certified key
 * over `"CITYCARD-AUTH" ‖ P2 ‖ challenge`. Throws `IdentityCryptoError` `SIGNATURE_INVALID`, or
 * `CommandParameterError` for a bad mode or challenge length.
 */
export function verifyAuthSignature(
  cert: X509Certificate,
  mode: AuthMode,
  challenge: Uint8Array,
  signature: Uint8Array,
): void {
  const message = authSignedMessage(mode, challenge);
  let ok: boolean;
  try {
    ok = verify('sha256', message, { key: cert.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch (err) {
    throw new IdentityCryptoError('SIGNATURE_INVALID', 'the authentication signature cannot be checked', { cause: err });
  }
  if (!ok) {
    const who = mode === 0x01 ? 'card' : 'cardholder';
    throw new IdentityCryptoError('SIGNATURE_INVALID', `the ${who} authentication signature does not verify with the certified key`);
  }
}

function validAt(cert: X509Certificate, at: number): boolean {
  return at >= Date.parse(cert.validFrom) && at <= Date.parse(cert.validTo);
}

// Node prints the subject one attribute per line, `CN=1000000000000001`; card numbers are digits
// only, so no escaping can hide one.
function subjectCardNumbers(cert: X509Certificate): string[] {
  return cert.subject
    .split('\n')
    .map((line) => /^(?:CN|serialNumber)=(.*)$/.exec(line)?.[1])
    .filter((v): v is string => v !== undefined);
}
