import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HsmForbiddenError } from '../../hsm-sim/src/errors.js';
import { CARD_NUMBER, type TestHsm, makeTestHsm } from './fixtures.js';

describe('card certificates signed by the city CA inside the HSM', () => {
  let hsm: TestHsm;
  const card = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const modulus = Buffer.from(card.publicKey.export({ format: 'jwk' }).n!, 'base64url');
  beforeAll(() => {
    hsm = makeTestHsm();
  });
  afterAll(() => hsm.dispose());

  it('publishes a self-signed CA certificate to every role', async () => {
    const ca = new X509Certificate(await hsm.as('terminal').caCertificate());
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.subject).toContain('CN=CityCard Test City CA');
  });

  it('signs a certificate for the card modulus, subject carrying the card number, chaining to the CA', async () => {
    const der = await hsm.as('bureau').signCardCertificate({ cardNumber: CARD_NUMBER, modulus });
    const cert = new X509Certificate(der);
    const ca = new X509Certificate(await hsm.as('bureau').caCertificate());
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.subject).toContain('CN=1000000000000001');
    expect(cert.publicKey.export({ format: 'jwk' }).n).toBe(modulus.toString('base64url'));
    expect(cert.publicKey.export({ format: 'jwk' }).e).toBe('AQAB');
    expect(new Date(cert.validFrom).getTime()).toBe(new Date('2026-11-23T09:30:00Z').getTime());
    expect(hsm.core.audit.entries().at(-2)).toMatchObject({ command: 'signCardCertificate', keys: ['CITY-CA:01'], subject: '1000000000000001' });
  });

  it('refuses a modulus that is not RSA-2048 and a card number that is not BCD', async () => {
    await expect(hsm.as('bureau').signCardCertificate({ cardNumber: CARD_NUMBER, modulus: modulus.subarray(1) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      hsm.as('bureau').signCardCertificate({ cardNumber: Buffer.from('1000000000000A01', 'hex'), modulus }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('signs for the bureau only', async () => {
    for (const role of ['admin', 'load', 'clearing', 'terminal'] as const) {
      await expect(hsm.as(role).signCardCertificate({ cardNumber: CARD_NUMBER, modulus })).rejects.toBeInstanceOf(HsmForbiddenError);
    }
  });
});
