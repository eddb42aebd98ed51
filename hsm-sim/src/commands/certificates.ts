/**
 * The city CA inside the HSM: its private key is sealed in the key store like any other key, and
 * card certificates are built by the CA module (node-forge X.509) with that key.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { toHex } from '@citycard/protocols';
import { type CreateCityCaOptions, createCityCa, issueCardCertificate } from '../ca/index.js';
import type { SignCardCertificateInput } from '../custodian.js';
import { HsmRequestError } from '../errors.js';
import { CITY_CA } from '../keystore/keyLabels.js';
import { type CommandContext } from './context.js';

/** Bytes of the RSA-2048 modulus a card returns from GENERATE KEY PAIR. */
export const CARD_MODULUS_LENGTH = 256;
/** Card certificates are valid this many years from issue. */
export const CARD_CERTIFICATE_YEARS = 10;

/** Check value of an RSA key: SHA-256 of its SubjectPublicKeyInfo, leftmost 3 bytes. */
export function rsaCheckValue(spkiDer: Uint8Array): string {
  return createHash('sha256').update(spkiDer).digest().subarray(0, 3).toString('hex').toUpperCase();
}

/**
 * Creates the city CA (version 1 of {@link CITY_CA}) inside the HSM: the private key is sealed in
 * the key store, the certificate stored beside it. Returns the certificate (DER). Throws
 * KEY_EXISTS when the CA already exists.
 */
export function createCaInHsm(ctx: CommandContext, options: CreateCityCaOptions = {}): Buffer {
  const ca = createCityCa({ notBefore: ctx.clock(), ...options });
  const key = createPrivateKey(ca.privateKeyPem);
  const pkcs8 = key.export({ type: 'pkcs8', format: 'der' });
  try {
    const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
    ctx.keys.put(
      { label: CITY_CA, version: 1, kind: 'rsa', usage: 'ca', exportable: false, kcv: rsaCheckValue(spki) },
      pkcs8,
      ctx.clock(),
    );
  } finally {
    pkcs8.fill(0);
  }
  const der = new X509Certificate(ca.certificatePem).raw;
  ctx.certificates.put(CITY_CA, der, ctx.clock());
  return der;
}

/** The city CA certificate (DER). Throws KEY_NOT_FOUND before the CA is created. */
export function caCertificate(ctx: CommandContext): Buffer {
  return ctx.certificates.get(CITY_CA);
}

/**
 * A card certificate for an RSA-2048 modulus (exponent 65537), subject carrying the card number,
 * valid {@link CARD_CERTIFICATE_YEARS} years from now, random 16-byte serial. Throws
 * `HsmRequestError` on a card number that is not 16 BCD digits or a modulus that is not 256 bytes
 * with its top bit set; KEY_NOT_FOUND before the CA exists.
 */
export function signCardCertificate(ctx: CommandContext, request: SignCardCertificateInput): Buffer {
  const cardNumber = toHex(request.cardNumber);
  if (!/^[0-9]{16}$/.test(cardNumber)) throw new HsmRequestError('card number must be 8 bytes of BCD (16 digits)');
  if (request.modulus.length !== CARD_MODULUS_LENGTH || (request.modulus[0]! & 0x80) === 0) {
    throw new HsmRequestError(`the card modulus must be ${CARD_MODULUS_LENGTH} bytes with its top bit set`);
  }
  const subject = createPublicKey({
    key: { kty: 'RSA', n: Buffer.from(request.modulus).toString('base64url'), e: 'AQAB' },
    format: 'jwk',
  }).export({ type: 'spki', format: 'der' });
  const { value } = ctx.keys.reveal(CITY_CA, 1, 'ca', 'rsa');
  try {
    const privateKeyPem = createPrivateKey({ key: value, format: 'der', type: 'pkcs8' })
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const notBefore = ctx.clock();
    const notAfter = new Date(notBefore.getTime());
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CARD_CERTIFICATE_YEARS);
    return issueCardCertificate({
      ca: { certificatePem: new X509Certificate(caCertificate(ctx)).toString(), privateKeyPem },
      cardNumber,
      subjectPublicKeyDer: subject,
      notBefore,
      notAfter,
      serial: ctx.random(16),
    });
  } finally {
    value.fill(0);
  }
}
