/**
 * Conversions between node:crypto keys / DER bytes and node-forge objects, and certificate
 * field helpers shared by the CA functions. node-forge builds the X.509 structure; keys are
 * generated and held by node:crypto.
 */
import { createHash, createPublicKey } from 'node:crypto';
import forge from 'node-forge';

/** A forge RSA public key from SPKI DER. Throws `RangeError` when it is not an RSA key. */
export function forgePublicKeyFromSpki(spkiDer: Uint8Array): forge.pki.rsa.PublicKey {
  const key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'rsa') throw new RangeError(`only RSA keys can be certified, got ${key.asymmetricKeyType}`);
  const asn1 = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(spkiDer).toString('binary')));
  return forge.pki.publicKeyFromAsn1(asn1) as forge.pki.rsa.PublicKey;
}

/** DER bytes of a forge certificate. */
export function certificateDer(cert: forge.pki.Certificate): Buffer {
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

/**
 * Key identifier of an RSA public key (RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey
 * bit string), as a forge binary string.
 */
export function keyIdentifier(publicKey: forge.pki.PublicKey): string {
  const rsaPublicKeyDer = forge.asn1.toDer(forge.pki.publicKeyToRSAPublicKey(publicKey)).getBytes();
  return createHash('sha1').update(Buffer.from(rsaPublicKeyDer, 'binary')).digest().toString('binary');
}

/**
 * A positive DER INTEGER body for a serial number given as hex (1 to 40 digits) or bytes (1 to
 * 20): leading zero bytes dropped, one 00 added when the top bit is set. Throws `RangeError`
 * for an empty, zero, non-hex or too long serial.
 */
export function serialHex(serial: string | Uint8Array): string {
  const hex = typeof serial === 'string' ? serial : Buffer.from(serial).toString('hex');
  if (!/^[0-9a-fA-F]{1,40}$/.test(hex)) throw new RangeError('serial must be 1 to 40 hex digits (1 to 20 bytes)');
  let digits = hex.toLowerCase().replace(/^0+/, '');
  if (digits.length === 0) throw new RangeError('serial must be positive');
  if (digits.length % 2 === 1) digits = `0${digits}`;
  return Number.parseInt(digits.slice(0, 2), 16) >= 0x80 ? `00${digits}` : digits;
}

/** Distinguished-name attributes as PrintableString when the value allows it, else UTF8String. */
export function nameAttributes(fields: ReadonlyArray<readonly [string, string]>): forge.pki.CertificateField[] {
  return fields.map(([name, value]) => {
    const type = PRINTABLE.test(value) ? forge.asn1.Type.PRINTABLESTRING : forge.asn1.Type.UTF8;
    // @types/node-forge declares valueTagClass as a Class, but forge reads it as the universal Type.
    return { name, value, valueTagClass: type as unknown as forge.asn1.Class };
  });
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
