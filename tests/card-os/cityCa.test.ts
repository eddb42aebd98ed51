import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CaDirectoryError,
  TEST_CA_CERTIFICATE_FILE,
  TEST_CA_KEY_FILE,
  createCityCa,
  issueCardCertificate,
  loadOrCreateTestCa,
  type CityCa,
} from '@citycard/hsm-sim/ca';

const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2035-01-01T00:00:00Z');
const CARD_NUMBER = '1000000000000001';

let ca: CityCa;
let cardKeyDer: Buffer;
const dirs: string[] = [];

beforeAll(() => {
  ca = createCityCa({ notBefore: NOT_BEFORE, notAfter: new Date('2045-01-01T00:00:00Z'), serial: '0A' });
  cardKeyDer = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function issue(overrides: Partial<Parameters<typeof issueCardCertificate>[0]> = {}): Buffer {
  return issueCardCertificate({
    ca,
    cardNumber: CARD_NUMBER,
    subjectPublicKeyDer: cardKeyDer,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    serial: CARD_NUMBER,
    ...overrides,
  });
}

function parsedByForge(der: Buffer): forge.pki.Certificate {
  return forge.pki.certificateFromAsn1(forge.asn1.fromDer(der.toString('binary')));
}

describe('createCityCa', () => {
  it('makes a self-signed CA certificate with CA extensions', () => {
    const cert = new X509Certificate(ca.certificatePem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('O=CityCard Test City\nCN=CityCard Test City CA');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.serialNumber).toBe('0A');
    const forgeCert = forge.pki.certificateFromPem(ca.certificatePem);
    expect(forgeCert.getExtension('basicConstraints')).toMatchObject({ critical: true, cA: true, pathLenConstraint: 0 });
    expect(forgeCert.getExtension('keyUsage')).toMatchObject({ critical: true, keyCertSign: true, cRLSign: true });
  });

  it('refuses bad key sizes and validity periods', () => {
    expect(() => createCityCa({ keyBits: 1024 })).toThrow(RangeError);
    expect(() => createCityCa({ notBefore: NOT_AFTER, notAfter: NOT_BEFORE })).toThrow(RangeError);
  });
});

describe('issueCardCertificate', () => {
  it('issues a DER certificate that chains to the CA, for the card number, with end-entity extensions', () => {
    const der = issue();
    const cert = new X509Certificate(der);
    const caCert = new X509Certificate(ca.certificatePem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subject).toBe(`O=CityCard Test City\nCN=${CARD_NUMBER}\nserialNumber=${CARD_NUMBER}`);
    expect(cert.serialNumber).toBe(CARD_NUMBER);
    expect(cert.publicKey.export({ type: 'spki', format: 'der' })).toEqual(cardKeyDer);
    expect(new Date(cert.validFrom)).toEqual(NOT_BEFORE);
    expect(new Date(cert.validTo)).toEqual(NOT_AFTER);
    const forgeCert = parsedByForge(der);
    expect(forgeCert.getExtension('basicConstraints')).toMatchObject({ critical: true, cA: false });
    expect(forgeCert.getExtension('keyUsage')).toMatchObject({ critical: true, digitalSignature: true });
    expect(forgeCert.getExtension('keyUsage')).not.toMatchObject({ keyCertSign: true });
    const aki = forgeCert.getExtension('authorityKeyIdentifier') as { value: string } | undefined;
    const ski = forge.pki.certificateFromPem(ca.certificatePem).getExtension('subjectKeyIdentifier') as {
      subjectKeyIdentifier: string;
    };
    // AKI value = SEQUENCE { [0] keyIdentifier }: 30 16 80 14 <20 bytes>
    expect(Buffer.from(aki!.value, 'binary').toString('hex')).toBe(`30168014${ski.subjectKeyIdentifier}`);
  });

  it('encodes the serial as a positive, minimal DER INTEGER', () => {
    // forge reports the INTEGER's content bytes as they are in the DER.
    expect(parsedByForge(issue({ serial: 'FF01' })).serialNumber).toBe('00ff01');
    expect(parsedByForge(issue({ serial: Buffer.from([0x00, 0x00, 0x7f]) })).serialNumber).toBe('7f');
  });

  it('refuses a bad card number, serial, validity, or a key that is not RSA', () => {
    expect(() => issue({ cardNumber: '123' })).toThrow(RangeError);
    expect(() => issue({ serial: '00' })).toThrow(RangeError);
    expect(() => issue({ serial: 'XYZ' })).toThrow(RangeError);
    expect(() => issue({ notAfter: NOT_BEFORE })).toThrow(RangeError);
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
    expect(() => issue({ subjectPublicKeyDer: ecKey })).toThrow(RangeError);
  });
});

describe('loadOrCreateTestCa', () => {
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'citycard-ca-'));
    dirs.push(dir);
    return dir;
  }

  it('creates the CA on first use and reuses it afterwards', () => {
    const dir = join(tempDir(), 'ca');
    const first = loadOrCreateTestCa(dir, { notBefore: NOT_BEFORE });
    expect(statSync(join(dir, TEST_CA_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, TEST_CA_CERTIFICATE_FILE), 'utf8')).toBe(first.certificatePem);
    const second = loadOrCreateTestCa(dir);
    expect(second).toEqual(first);
  });

  it('refuses a directory whose key does not match its certificate', () => {
    const dir = tempDir();
    loadOrCreateTestCa(dir, { notBefore: NOT_BEFORE });
    writeFileSync(join(dir, TEST_CA_KEY_FILE), ca.privateKeyPem);
    expect(() => loadOrCreateTestCa(dir)).toThrow(CaDirectoryError);
    writeFileSync(join(dir, TEST_CA_CERTIFICATE_FILE), 'not a certificate');
    expect(() => loadOrCreateTestCa(dir)).toThrow(CaDirectoryError);
  });
});
