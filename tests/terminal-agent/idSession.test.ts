import { type KeyObject, X509Certificate, generateKeyPairSync, sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AUTH_MODE,
  CommandParameterError,
  IdDataError,
  authSignedMessage,
  fromHex,
  toHex,
} from '@citycard/protocols';
import {
  ApduChannel,
  BusinessRuleError,
  type CardTransport,
  CardProtocolError,
  IdentityCryptoError,
  IdentitySession,
  WrongPinError,
} from '@citycard/terminal-agent';
import { type CityCa, createCityCa, issueCardCertificate } from '@citycard/hsm-sim/ca';

const FIXED_NOW = new Date('2026-11-23T09:30:00Z');
const CARD_NUMBER = '1000000000000001';

// Byte fixtures of spec §2-3 for the worked-example card.
const SELECT_ID_CMD = fromHex('00A4040008F04349545949440100');
const SELECT_ID_RSP = fromHex('6F0C8408F043495459494401A500 9000');
const CARD_INFO_E1 = fromHex('E125 5A081000000000000001 5F250420261123 5F240420361122 C10100 42080000000000000001');
const READ_CARD_INFO_CMD = fromHex('00B0810000');
const READ_CARD_INFO_RSP = Buffer.concat([CARD_INFO_E1, fromHex('6282')]);
const CARDHOLDER_E2 = fromHex('E227 5F2006E5BCA0E4B889 C212313130313035313934393132333130303258 5F2B0419491231 C30100');
const READ_CARDHOLDER_CMD = fromHex('00B0820000');
const READ_CARDHOLDER_RSP = Buffer.concat([CARDHOLDER_E2, fromHex('6282')]);
const READ_CERT_FIRST_CMD = fromHex('00B0830000');
const READ_CERT_AT_0100_CMD = fromHex('00B0010000');
const READ_CERT_AT_0200_CMD = fromHex('00B0020000');
const VERIFY_PIN_CMD = fromHex('0020000108 313233343536FFFF');
const VERIFY_STATUS_CMD = fromHex('00200001');
const CARD_CHALLENGE_32 = fromHex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
const INT_AUTH_CARD_CMD = fromHex('0088000120' + toHex(CARD_CHALLENGE_32) + '00');
const BACKEND_NONCE_16 = fromHex('F0E1D2C3B4A5968778695A4B3C2D1E0F');
const INT_AUTH_HOLDER_CMD = fromHex('0088000210' + toHex(BACKEND_NONCE_16) + '00');
const SW_9000 = fromHex('9000');
const SW_6282 = fromHex('6282');
const SW_63C2 = fromHex('63C2');
const SW_63C0 = fromHex('63C0');
const SW_6983 = fromHex('6983');
const SW_6982 = fromHex('6982');
const SW_6A82 = fromHex('6A82');
const SW_6A81 = fromHex('6A81');
const SW_6F00 = fromHex('6F00');

let ca: CityCa;
let cardKey: KeyObject;
let cardPublicKey: KeyObject;
let certDer: Buffer;
let readCertLastCmd: Buffer;
let good: Map<string, Buffer>;

/** A card certificate for `cardNumber` with the card's key (or another), signed by `issuer`. */
function cardCertificate(
  issuer: CityCa,
  overrides: { cardNumber?: string; notBefore?: Date; notAfter?: Date; publicKey?: KeyObject } = {},
): Buffer {
  const key = overrides.publicKey ?? cardPublicKey;
  return issueCardCertificate({
    ca: issuer,
    cardNumber: overrides.cardNumber ?? CARD_NUMBER,
    subjectPublicKeyDer: key.export({ type: 'spki', format: 'der' }),
    notBefore: overrides.notBefore ?? new Date('2026-11-01T00:00:00Z'),
    notAfter: overrides.notAfter ?? new Date('2036-11-22T23:59:59Z'),
    serial: CARD_NUMBER,
  });
}

/** The READ BINARY exchanges that return `der`: 256 bytes by SFI, then by offset with Le = what remains. */
function certificateReads(der: Buffer): [Buffer, Buffer][] {
  if (der.length <= 256) return [[READ_CERT_FIRST_CMD, Buffer.concat([der, SW_6282])]];
  const reads: [Buffer, Buffer][] = [[READ_CERT_FIRST_CMD, Buffer.concat([der.subarray(0, 256), SW_9000])]];
  for (let offset = 256; offset < der.length; offset += 256) {
    const le = Math.min(256, der.length - offset);
    const cmd = fromHex('00B0' + offset.toString(16).padStart(4, '0') + (le & 0xff).toString(16).padStart(2, '0'));
    reads.push([cmd, Buffer.concat([der.subarray(offset, offset + le), SW_9000])]);
  }
  return reads;
}

function signAuth(mode: 1 | 2, challenge: Buffer, key: KeyObject): Buffer {
  return sign('sha256', authSignedMessage(mode, challenge), key);
}

/** A card that answers each command from a map of canned responses and records what it got. */
class CannedCard implements CardTransport {
  readonly name = 'canned card';
  readonly received: Buffer[] = [];
  constructor(private readonly answers: ReadonlyMap<string, Buffer>) {}
  async powerOn(): Promise<Buffer> {
    return fromHex('3B8180018080');
  }
  async transmit(command: Uint8Array): Promise<Buffer> {
    this.received.push(Buffer.from(command));
    const answer = this.answers.get(toHex(command));
    // 6D00 rather than a throw: a test that sends something unplanned fails on that status word.
    return answer === undefined ? fromHex('6D00') : Buffer.from(answer);
  }
  async isPresent(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}

function cardWith(...changes: [Buffer, Buffer][]): CannedCard {
  const answers = new Map(good);
  for (const [cmd, rsp] of changes) answers.set(toHex(cmd), rsp);
  return new CannedCard(answers);
}

function session(card: CardTransport, caCertificate: string | X509Certificate = ca.certificatePem): IdentitySession {
  return new IdentitySession(new ApduChannel(card, { clock: () => FIXED_NOW }), {
    caCertificate,
    clock: () => FIXED_NOW,
    randomBytes: (n) => Buffer.from(CARD_CHALLENGE_32.subarray(0, n)),
  });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof Error)) throw new Error('expected a rejection');
  return err;
}

beforeAll(() => {
  ca = createCityCa({ notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2046-01-01T00:00:00Z'), serial: '01' });
  ({ privateKey: cardKey, publicKey: cardPublicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
  certDer = cardCertificate(ca);
  // A 2048-bit card certificate spans four READ BINARY: the multi-chunk path is what runs.
  expect(certificateReads(certDer)).toHaveLength(4);
  readCertLastCmd = certificateReads(certDer)[3]![0];
  good = new Map(
    (
      [
        [SELECT_ID_CMD, SELECT_ID_RSP],
        [READ_CARD_INFO_CMD, READ_CARD_INFO_RSP],
        ...certificateReads(certDer),
        [INT_AUTH_CARD_CMD, Buffer.concat([signAuth(1, CARD_CHALLENGE_32, cardKey), SW_9000])],
        [VERIFY_STATUS_CMD, fromHex('63C3')],
        [VERIFY_PIN_CMD, SW_9000],
        [READ_CARDHOLDER_CMD, READ_CARDHOLDER_RSP],
        [INT_AUTH_HOLDER_CMD, Buffer.concat([signAuth(2, BACKEND_NONCE_16, cardKey), SW_9000])],
      ] as [Buffer, Buffer][]
    ).map(([cmd, rsp]) => [toHex(cmd), rsp]),
  );
});

describe('IdentitySession, good path', () => {
  it('authenticates the card, verifies the PIN, reads the cardholder and authenticates them', async () => {
    const card = cardWith();
    const id = session(card);
    const authenticated = await id.authenticate();
    expect(authenticated.cardInfo).toEqual({
      cardNumber: CARD_NUMBER,
      effectiveDate: '20261123',
      expiryDate: '20361122',
      cardType: 0,
      issuerId: '0000000000000001',
    });
    expect(Buffer.from(authenticated.certificate.raw)).toEqual(certDer);
    expect(authenticated.proof.challenge).toEqual(CARD_CHALLENGE_32);
    expect(authenticated.proof.mode).toBe(AUTH_MODE.card);

    expect(await id.pinStatus()).toEqual({ verified: false, triesLeft: 3, blocked: false });
    await id.verifyPin('123456');
    expect(await id.readCardholder()).toEqual({
      name: '张三',
      citizenId: '11010519491231002X',
      dateOfBirth: '19491231',
      residency: 'permanent',
    });
    const holder = await id.authenticateCardholder(BACKEND_NONCE_16);
    expect(holder.mode).toBe(AUTH_MODE.cardholder);
    expect(holder.signature).toEqual(signAuth(2, BACKEND_NONCE_16, cardKey));

    expect(card.received).toEqual([
      SELECT_ID_CMD,
      READ_CARD_INFO_CMD,
      READ_CERT_FIRST_CMD,
      READ_CERT_AT_0100_CMD,
      READ_CERT_AT_0200_CMD,
      readCertLastCmd,
      INT_AUTH_CARD_CMD,
      VERIFY_STATUS_CMD,
      VERIFY_PIN_CMD,
      READ_CARDHOLDER_CMD,
      INT_AUTH_HOLDER_CMD,
    ]);
  });

  it('keeps every exchange in the channel trail with the PIN masked', async () => {
    const id = session(cardWith());
    await id.selectApplication();
    await id.verifyPin('123456');
    const trail = id.channel.trail;
    expect(trail.map((e) => e.name)).toEqual(['SELECT', 'VERIFY']);
    expect(trail[1]).toMatchObject({ command: fromHex('0020000108 2A2A2A2A2A2A2A2A'), response: SW_9000, masked: true });
  });

  it('selects the application by itself when a step needs it, and only once', async () => {
    const card = cardWith();
    const id = session(card);
    await id.readCardInfo();
    await id.readCardInfo();
    await id.verifyPin('123456');
    expect(card.received).toEqual([SELECT_ID_CMD, READ_CARD_INFO_CMD, VERIFY_PIN_CMD]);
  });

  it('reads a certificate shorter than 256 bytes in one exchange, ignoring file padding', async () => {
    const small = Buffer.concat([fromHex('3003020101'), Buffer.alloc(20, 0xff)]);
    const card = cardWith([READ_CERT_FIRST_CMD, Buffer.concat([small, SW_6282])]);
    expect(await session(card).readCertificate()).toEqual(fromHex('3003020101'));
  });

  it('accepts the CA certificate as DER bytes or parsed', async () => {
    const caCert = new X509Certificate(ca.certificatePem);
    await expect(session(cardWith(), caCert).verifyCertificate()).resolves.toBeInstanceOf(X509Certificate);
    const fromDer = new IdentitySession(new ApduChannel(cardWith()), { caCertificate: caCert.raw, clock: () => FIXED_NOW });
    await expect(fromDer.verifyCertificate()).resolves.toBeInstanceOf(X509Certificate);
  });
});

describe('IdentitySession, card and application failures', () => {
  it('reports a card without the ID application', async () => {
    const err = await failure(session(cardWith([SELECT_ID_CMD, SW_6A82])).selectApplication());
    expect(err).toBeInstanceOf(BusinessRuleError);
    expect((err as BusinessRuleError).reason).toBe('ID_APPLICATION_NOT_FOUND');
    expect(err.cause).toBeInstanceOf(CardProtocolError);
  });

  it('reports a blocked ID application', async () => {
    const err = await failure(session(cardWith([SELECT_ID_CMD, SW_6A81])).authenticate());
    expect((err as BusinessRuleError).reason).toBe('ID_APPLICATION_BLOCKED');
  });

  it('reports malformed card info as a protocol error caused by an IdDataError', async () => {
    const badInfo = Buffer.from(READ_CARD_INFO_RSP);
    badInfo[9] = 0x0a; // last BCD digit of the card number becomes A
    const err = await failure(session(cardWith([READ_CARD_INFO_CMD, badInfo])).readCardInfo());
    expect(err).toBeInstanceOf(CardProtocolError);
    expect(err.cause).toBeInstanceOf(IdDataError);
  });

  it('reports a certificate file that ends before its DER length', async () => {
    const card = cardWith([READ_CERT_AT_0200_CMD, Buffer.concat([certDer.subarray(512, 600), SW_6282])]);
    const err = await failure(session(card).readCertificate());
    expect(err).toBeInstanceOf(CardProtocolError);
    expect(err.message).toMatch(/ends after 600 of the \d+ bytes/);
  });

  it('reports a certificate file that is not TLV', async () => {
    const card = cardWith([READ_CERT_FIRST_CMD, Buffer.concat([Buffer.alloc(256, 0xff), SW_9000])]);
    await expect(session(card).readCertificate()).rejects.toBeInstanceOf(CardProtocolError);
  });

  it('reports an unexpected status word with the status word', async () => {
    const err = await failure(session(cardWith([READ_CERT_AT_0100_CMD, SW_6F00])).readCertificate());
    expect(err).toBeInstanceOf(CardProtocolError);
    expect((err as CardProtocolError).sw).toBe(0x6f00);
  });
});

describe('IdentitySession, certificate and signature failures', () => {
  async function certFailure(der: Buffer, caCertificate?: string): Promise<IdentityCryptoError> {
    const card = cardWith(...certificateReads(der));
    const err = await failure(session(card, caCertificate).authenticate());
    expect(err).toBeInstanceOf(IdentityCryptoError);
    return err as IdentityCryptoError;
  }

  it('refuses a certificate issued by another CA', async () => {
    const other = createCityCa({ notBefore: new Date('2026-01-01T00:00:00Z'), serial: '02' });
    expect((await certFailure(cardCertificate(other))).reason).toBe('CERT_NOT_ISSUED_BY_CA');
  });

  it('refuses an expired certificate', async () => {
    const expired = cardCertificate(ca, { notBefore: new Date('2026-01-02T00:00:00Z'), notAfter: new Date('2026-11-22T23:59:59Z') });
    expect((await certFailure(expired)).reason).toBe('CERT_EXPIRED');
  });

  it('refuses a certificate not yet valid', async () => {
    const future = cardCertificate(ca, { notBefore: new Date('2026-11-24T00:00:00Z') });
    expect((await certFailure(future)).reason).toBe('CERT_NOT_YET_VALID');
  });

  it('refuses a certificate for another card number', async () => {
    const err = await certFailure(cardCertificate(ca, { cardNumber: '1000000000000002' }));
    expect(err.reason).toBe('CARD_NUMBER_MISMATCH');
    expect(err.message).toContain('1000000000000002');
  });

  it('refuses a CA certificate that is not a CA', async () => {
    const notACa = new X509Certificate(certDer).toString();
    const err = await failure(Promise.resolve().then(() => session(cardWith(), notACa)));
    expect((err as IdentityCryptoError).reason).toBe('CA_NOT_A_CA');
  });

  it('refuses a CA that is not valid at the clock', async () => {
    const oldCa = createCityCa({ notBefore: new Date('2006-01-01T00:00:00Z'), notAfter: new Date('2026-01-01T00:00:00Z'), serial: '03' });
    const der = cardCertificate(oldCa, { notBefore: new Date('2016-01-01T00:00:00Z') });
    expect((await certFailure(der, oldCa.certificatePem)).reason).toBe('CA_NOT_VALID');
  });

  it('refuses a card key that is not RSA-2048', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const card = cardWith(...certificateReads(cardCertificate(ca, { publicKey: weak })));
    const err = await failure(session(card).verifyCertificate());
    expect((err as IdentityCryptoError).reason).toBe('CERT_KEY_UNSUITABLE');
  });

  it('refuses a certificate file holding DER that is not a certificate', async () => {
    const card = cardWith([READ_CERT_FIRST_CMD, Buffer.concat([fromHex('3003020101'), SW_6282])]);
    const err = await failure(session(card).verifyCertificate());
    expect((err as IdentityCryptoError).reason).toBe('CERT_MALFORMED');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('refuses a CA certificate that does not parse', () => {
    expect(() => session(cardWith(), 'not a certificate')).toThrow(IdentityCryptoError);
  });

  it('refuses a wrong card authentication signature', async () => {
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const card = cardWith([INT_AUTH_CARD_CMD, Buffer.concat([signAuth(1, CARD_CHALLENGE_32, otherKey), SW_9000])]);
    const err = await failure(session(card).authenticate());
    expect(err).toBeInstanceOf(IdentityCryptoError);
    expect((err as IdentityCryptoError).reason).toBe('SIGNATURE_INVALID');
  });

  it('refuses a card signature made for cardholder mode (P2 mismatch)', async () => {
    const card = cardWith([INT_AUTH_CARD_CMD, Buffer.concat([signAuth(2, CARD_CHALLENGE_32, cardKey), SW_9000])]);
    expect(((await failure(session(card).authenticateCard())) as IdentityCryptoError).reason).toBe('SIGNATURE_INVALID');
  });

  it('refuses a wrong cardholder authentication signature', async () => {
    const card = cardWith([INT_AUTH_HOLDER_CMD, Buffer.concat([signAuth(2, CARD_CHALLENGE_32.subarray(0, 16), cardKey), SW_9000])]);
    const id = session(card);
    await id.verifyPin('123456');
    expect(((await failure(id.authenticateCardholder(BACKEND_NONCE_16))) as IdentityCryptoError).reason).toBe('SIGNATURE_INVALID');
  });
});

describe('IdentitySession, PIN', () => {
  it('reports a wrong PIN with the tries left', async () => {
    const err = await failure(session(cardWith([VERIFY_PIN_CMD, SW_63C2])).verifyPin('123456'));
    expect(err).toBeInstanceOf(WrongPinError);
    expect(err).toBeInstanceOf(BusinessRuleError);
    expect((err as WrongPinError).reason).toBe('PIN_WRONG');
    expect((err as WrongPinError).triesLeft).toBe(2);
    expect(err.message).not.toContain('123456');
  });

  it.each([
    ['63C0 (last try used)', SW_63C0],
    ['6983 (already blocked)', SW_6983],
  ])('reports a blocked PIN on %s', async (_name, sw) => {
    const err = await failure(session(cardWith([VERIFY_PIN_CMD, sw])).verifyPin('123456'));
    expect(err).toBeInstanceOf(BusinessRuleError);
    expect(err).not.toBeInstanceOf(WrongPinError);
    expect((err as BusinessRuleError).reason).toBe('PIN_BLOCKED');
  });

  it('refuses a malformed PIN before sending anything', async () => {
    const card = cardWith();
    const err = await failure(session(card).verifyPin('12a4'));
    expect(err).toBeInstanceOf(CommandParameterError);
    expect(card.received).toEqual([]);
  });

  it('reports the PIN status when already verified or blocked', async () => {
    expect(await session(cardWith([VERIFY_STATUS_CMD, SW_9000])).pinStatus()).toEqual({ verified: true });
    expect(await session(cardWith([VERIFY_STATUS_CMD, SW_6983])).pinStatus()).toEqual({
      verified: false,
      triesLeft: 0,
      blocked: true,
    });
  });

  it('needs the PIN for the cardholder data and cardholder authentication', async () => {
    const card = cardWith([READ_CARDHOLDER_CMD, SW_6982], [INT_AUTH_HOLDER_CMD, SW_6982]);
    const id = session(card);
    const readErr = await failure(id.readCardholder());
    expect((readErr as BusinessRuleError).reason).toBe('PIN_REQUIRED');
    expect((readErr.cause as CardProtocolError).sw).toBe(0x6982);
    const authErr = await failure(id.authenticateCardholder(BACKEND_NONCE_16));
    expect((authErr as BusinessRuleError).reason).toBe('PIN_REQUIRED');
  });

  it('refuses a cardholder challenge outside 16 to 64 bytes before sending anything', async () => {
    const card = cardWith();
    await expect(session(card).authenticateCardholder(Buffer.alloc(8))).rejects.toBeInstanceOf(CommandParameterError);
    expect(card.received).toEqual([]);
  });
});
