/**
 * The city CA that certifies card keys: a self-signed RSA CA certificate, and card certificates
 * whose subject carries the card number (never the cardholder's name). X.509 structure by
 * node-forge; keys by node:crypto.
 *
 * Card certificate profile (RFC 5280):
 *   subject         O = <CA organization>, CN = <card number>, serialNumber = <card number>
 *   extensions      basicConstraints cA=false (critical), keyUsage digitalSignature (critical),
 *                   subjectKeyIdentifier, authorityKeyIdentifier (the CA's key identifier)
 *   signature       sha256WithRSAEncryption
 * CA certificate: basicConstraints cA=true pathLen 0, keyUsage keyCertSign cRLSign (both
 * critical), subjectKeyIdentifier.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { CertificateAuthorityError } from './errors.js';
import { certificateDer, forgePublicKeyFromSpki, keyIdentifier, nameAttributes, serialHex } from './forgeCodec.js';

/** A CA as PEM text: its certificate and its PKCS#8 private key. */
export interface CityCa {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface CreateCityCaOptions {
  /** Default 'CityCard Test City CA'. */
  readonly commonName?: string;
  /** Default 'CityCard Test City'. */
  readonly organization?: string;
  /** Two-letter country code, if any. */
  readonly country?: string;
  /** Default: now. */
  readonly notBefore?: Date;
  /** Default: notBefore + 20 years. */
  readonly notAfter?: Date;
  /** Hex or bytes, positive, at most 20 bytes; default 16 random bytes. */
  readonly serial?: string | Uint8Array;
  /** RSA modulus bits, 2048 to 4096; default 2048. */
  readonly keyBits?: number;
}

export interface CardCertificateRequest {
  readonly ca: CityCa;
  /** 16 decimal digits. */
  readonly cardNumber: string;
  /** The card's RSA public key, SubjectPublicKeyInfo DER. */
  readonly subjectPublicKeyDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Hex or bytes, positive, at most 20 bytes. */
  readonly serial: string | Uint8Array;
}

/**
 * A new self-signed city CA. Throws `RangeError` for key bits outside 2048 to 4096, invalid
 * dates or serial; `CertificateAuthorityError` if the certificate cannot be built.
 */
export function createCityCa(options: CreateCityCaOptions = {}): CityCa {
  const keyBits = options.keyBits ?? 2048;
  if (!Number.isInteger(keyBits) || keyBits < 2048 || keyBits > 4096) throw new RangeError('CA key must be 2048 to 4096 bits');
  const notBefore = options.notBefore ?? new Date();
  const notAfter = options.notAfter ?? addYears(notBefore, 20);
  checkValidity(notBefore, notAfter);
  const serial = serialHex(options.serial ?? randomBytes(16));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: keyBits, publicExponent: 0x10001 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const name: [string, string][] = [];
  if (options.country !== undefined) name.push(['countryName', options.country]);
  name.push(['organizationName', options.organization ?? 'CityCard Test City']);
  name.push(['commonName', options.commonName ?? 'CityCard Test City CA']);
  try {
    const key = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    cert.serialNumber = serial;
    cert.validity.notBefore = notBefore;
    cert.validity.notAfter = notAfter;
    cert.setSubject(nameAttributes(name));
    cert.setIssuer(nameAttributes(name));
    cert.setExtensions([
      { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 0 },
      { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(key, forge.md.sha256.create());
    return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem };
  } catch (err) {
    throw new CertificateAuthorityError('cannot build the CA certificate', { cause: err });
  }
}

/**
 * A card certificate (DER) signed by `ca`. Throws `RangeError` for a card number that is not 16
 * digits, an invalid validity period or serial, or a public key that is not RSA;
 * `CertificateAuthorityError` when the CA material cannot be read or used.
 */
export function issueCardCertificate(request: CardCertificateRequest): Buffer {
  if (!/^[0-9]{16}$/.test(request.cardNumber)) throw new RangeError('card number must be 16 decimal digits');
  checkValidity(request.notBefore, request.notAfter);
  const serial = serialHex(request.serial);
  const subjectKey = forgePublicKeyFromSpki(request.subjectPublicKeyDer);
  let caCert: forge.pki.Certificate;
  let caKey: forge.pki.rsa.PrivateKey;
  try {
    caCert = forge.pki.certificateFromPem(request.ca.certificatePem);
    caKey = forge.pki.privateKeyFromPem(request.ca.privateKeyPem) as forge.pki.rsa.PrivateKey;
  } catch (err) {
    throw new CertificateAuthorityError('cannot read the CA certificate or key', { cause: err });
  }
  try {
    const cert = forge.pki.createCertificate();
    cert.publicKey = subjectKey;
    cert.serialNumber = serial;
    cert.validity.notBefore = request.notBefore;
    cert.validity.notAfter = request.notAfter;
    const organization = caCert.subject.getField('O')?.value as string | undefined;
    const subject: [string, string][] = [];
    if (organization !== undefined) subject.push(['organizationName', organization]);
    subject.push(['commonName', request.cardNumber], ['serialNumber', request.cardNumber]);
    cert.setSubject(nameAttributes(subject));
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', critical: true, cA: false },
      { name: 'keyUsage', critical: true, digitalSignature: true },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: keyIdentifier(caCert.publicKey) },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    return certificateDer(cert);
  } catch (err) {
    throw new CertificateAuthorityError(`cannot issue the certificate of card ${request.cardNumber}`, { cause: err });
  }
}

function checkValidity(notBefore: Date, notAfter: Date): void {
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw new RangeError('invalid validity date');
  if (notAfter.getTime() <= notBefore.getTime()) throw new RangeError('notAfter must be after notBefore');
}

function addYears(date: Date, years: number): Date {
  const out = new Date(date.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

/** `issueCardCertificate` with the CA bound: what card personalization asks for a certificate. */
export function cardCertificateIssuer(ca: CityCa): (request: Omit<CardCertificateRequest, 'ca'>) => Buffer {
  return (request) => issueCardCertificate({ ...request, ca });
}
