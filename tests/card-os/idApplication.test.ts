import { X509Certificate, constants, createPrivateKey, createPublicKey, verify } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, secretKeyKey, type VirtualCard } from '@citycard/card-os';
import { ID_AID, fromHex, toHex } from '@citycard/protocols';
import { cardOn, memoryStoreOf, personalizeImage, send, type PersonalizedImage } from './support/personalizedCard.js';

const SELECT_ID_CMD = '00A4040008F04349545949440100';
const ID_FCI_RSP = '6F148408F043495459494401A50850064349545949449000';
const READ_CARD_INFO_CMD = '00B0810000';
// E1 25 | 5A 08 card number | 5F25 04 20250601 | 5F24 04 20350601 | C1 01 00 adult | 42 08 issuer 1
const CARD_INFO = 'E1255A0810000000000000015F2504202506015F240420350601C1010042080000000000000001';
const READ_CARDHOLDER_CMD = '00B0820000';
// E2 2D | 5F20 0C "Test Citizen" | C2 12 "110101199001011237" | 5F2B 04 19900101 | C3 01 00 permanent
const CARDHOLDER =
  'E22D5F200C5465737420436974697A656EC2123131303130313139393030313031313233375F2B0419900101C30100';
const VERIFY_PIN_123456_CMD = '0020000108313233343536FFFF';
const VERIFY_PIN_WRONG_CMD = '0020000108313233343537FFFF';
const RESET_WITH_PUK_CMD = '002C0001103132333435363738393837363534FFFF'; // new PIN 987654
const VERIFY_PIN_987654_CMD = '0020000108393837363534FFFF';
const CHALLENGE_16 = '000102030405060708090A0B0C0D0E0F';
const CHALLENGE_64 = 'A5'.repeat(64);
const AUTH_CARD_CMD = `0088000110${CHALLENGE_16}00`;
const AUTH_CARDHOLDER_CMD = `0088000210${CHALLENGE_16}00`;
const AUTH_CARD_64_CMD = `0088000140${CHALLENGE_64}00`;

let image: PersonalizedImage;
let certificate: X509Certificate;

beforeAll(() => {
  image = personalizeImage();
  certificate = new X509Certificate(image.result.certificateDer);
});

function selectedCard(): VirtualCard {
  const card = cardOn(memoryStoreOf(image));
  expect(send(card, SELECT_ID_CMD)).toBe(ID_FCI_RSP);
  return card;
}

function signedBy(signature: Buffer, p2: number, challengeHex: string): boolean {
  const message = Buffer.concat([Buffer.from('CITYCARD-AUTH', 'ascii'), Buffer.from([p2]), fromHex(challengeHex)]);
  return verify('sha256', message, { key: certificate.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
}

describe('ID application files', () => {
  it('answers the card info (always readable)', () => {
    const card = selectedCard();
    expect(send(card, READ_CARD_INFO_CMD)).toBe(`${CARD_INFO}6282`);
    expect(send(card, '00B0810027')).toBe(`${CARD_INFO}9000`);
  });

  it('answers the cardholder only once the PIN is verified', () => {
    const card = selectedCard();
    expect(send(card, READ_CARDHOLDER_CMD)).toBe('6982');
    expect(send(card, VERIFY_PIN_WRONG_CMD)).toBe('63C2');
    expect(send(card, READ_CARDHOLDER_CMD)).toBe('6982');
    expect(send(card, VERIFY_PIN_123456_CMD)).toBe('9000');
    expect(send(card, READ_CARDHOLDER_CMD)).toBe(`${CARDHOLDER}6282`);
    card.powerOff();
    card.powerOn();
    send(card, SELECT_ID_CMD);
    expect(send(card, READ_CARDHOLDER_CMD)).toBe('6982');
  });

  it('answers the certificate in 256-byte chunks ending with 6282', () => {
    const card = selectedCard();
    const chunks: Buffer[] = [];
    let rsp = card.transmit(fromHex('00B0830000'));
    let offset = 0;
    for (;;) {
      const sw = toHex(rsp.subarray(-2));
      chunks.push(rsp.subarray(0, -2));
      offset += rsp.length - 2;
      if (sw === '6282') break;
      expect(sw).toBe('9000');
      rsp = card.transmit(Buffer.from([0x00, 0xb0, offset >> 8, offset & 0xff, 0x00]));
    }
    expect(Buffer.concat(chunks)).toEqual(image.result.certificateDer);
  });

  it('refuses every update (the files are written by personalization only)', () => {
    const card = selectedCard();
    send(card, VERIFY_PIN_123456_CMD);
    expect(send(card, '00D6810001FF')).toBe('6985');
    expect(send(card, '00D6820001FF')).toBe('6985');
    expect(send(card, '00D6830001FF')).toBe('6985');
    expect(send(card, '00B2010C00')).toBe('6981');
  });
});

describe('ID application PIN and PUK (test profile 123456 / 12345678)', () => {
  it('blocks the PIN after 3 wrong tries and unblocks it with the PUK', () => {
    const card = selectedCard();
    for (const sw of ['63C2', '63C1', '63C0', '6983']) expect(send(card, VERIFY_PIN_WRONG_CMD)).toBe(sw);
    expect(send(card, VERIFY_PIN_123456_CMD)).toBe('6983');
    expect(send(card, RESET_WITH_PUK_CMD)).toBe('9000');
    expect(send(card, VERIFY_PIN_987654_CMD)).toBe('9000');
    expect(send(card, READ_CARDHOLDER_CMD)).toBe(`${CARDHOLDER}6282`);
  });

  it('dies for good when the PUK blocks after 10 wrong tries', () => {
    const card = selectedCard();
    const wrongPuk = '002C0001103132333435363739393837363534FFFF';
    for (let left = 9; left >= 0; left--) expect(send(card, wrongPuk)).toBe(`63C${left.toString(16).toUpperCase()}`);
    expect(send(card, VERIFY_PIN_123456_CMD)).toBe('6983');
    expect(send(card, RESET_WITH_PUK_CMD)).toBe('6983');
    expect(send(card, '0020008108' + '3132333435363738')).toBe('6983');
    expect(send(card, AUTH_CARDHOLDER_CMD)).toBe('6982');
  });
});

describe('INTERNAL AUTHENTICATE', () => {
  it('card authentication (P2 01) needs no PIN and verifies with the certificate key', () => {
    const card = selectedCard();
    const rsp = card.transmit(fromHex(AUTH_CARD_CMD));
    expect(rsp).toHaveLength(258);
    expect(toHex(rsp.subarray(256))).toBe('9000');
    expect(signedBy(rsp.subarray(0, 256), 0x01, CHALLENGE_16)).toBe(true);
    expect(signedBy(rsp.subarray(0, 256), 0x02, CHALLENGE_16)).toBe(false); // P2 is signed
    const rsp64 = card.transmit(fromHex(AUTH_CARD_64_CMD));
    expect(signedBy(rsp64.subarray(0, 256), 0x01, CHALLENGE_64)).toBe(true);
  });

  it('cardholder authentication (P2 02) needs the PIN since the last power on / SELECT', () => {
    const card = selectedCard();
    expect(send(card, AUTH_CARDHOLDER_CMD)).toBe('6982');
    send(card, VERIFY_PIN_123456_CMD);
    const rsp = card.transmit(fromHex(AUTH_CARDHOLDER_CMD));
    expect(toHex(rsp.subarray(256))).toBe('9000');
    expect(signedBy(rsp.subarray(0, 256), 0x02, CHALLENGE_16)).toBe(true);
    send(card, SELECT_ID_CMD);
    expect(send(card, AUTH_CARDHOLDER_CMD)).toBe('6982');
    send(card, VERIFY_PIN_123456_CMD);
    card.reset();
    send(card, SELECT_ID_CMD);
    expect(send(card, AUTH_CARDHOLDER_CMD)).toBe('6982');
  });

  it('refuses challenges outside 16 to 64 bytes, a missing or short Le, bad P1/P2', () => {
    const card = selectedCard();
    expect(send(card, `008800010F${'00'.repeat(15)}00`)).toBe('6700');
    expect(send(card, `0088000141${'00'.repeat(65)}00`)).toBe('6700');
    expect(send(card, `0088000110${CHALLENGE_16}`)).toBe('6700');
    expect(send(card, `0088000110${CHALLENGE_16}80`)).toBe('6700');
    expect(send(card, `0088000100`)).toBe('6700');
    expect(send(card, `0088010110${CHALLENGE_16}00`)).toBe('6A86');
    expect(send(card, `0088000310${CHALLENGE_16}00`)).toBe('6A86');
    expect(send(card, `0088000010${CHALLENGE_16}00`)).toBe('6A86');
    expect(send(card, `8088000110${CHALLENGE_16}00`)).toBe('6D00');
  });

  it('answers 6985 on a card that was never personalized (no card key)', () => {
    const card = cardOn(new MemoryStore());
    send(card, SELECT_ID_CMD);
    expect(send(card, AUTH_CARD_CMD)).toBe('6985');
  });

  it('exists only in the ID application', () => {
    const card = cardOn(memoryStoreOf(image));
    expect(send(card, AUTH_CARD_CMD)).toBe('6D00');
  });
});

describe('card key and certificate', () => {
  it('keeps the private key in the card store; the certificate certifies its public half', () => {
    const store = memoryStoreOf(image);
    const stored = store.get(secretKeyKey(toHex(ID_AID), 'auth'));
    expect(stored).toBeDefined();
    const publicFromCard = createPublicKey(createPrivateKey({ key: stored!, format: 'der', type: 'pkcs8' })).export({
      type: 'spki',
      format: 'der',
    });
    expect(publicFromCard).toEqual(image.result.publicKeyDer);
    expect(certificate.publicKey.export({ type: 'spki', format: 'der' })).toEqual(image.result.publicKeyDer);
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('chains to the test city CA, names the card number and not the cardholder', () => {
    const ca = new X509Certificate(image.ca.certificatePem);
    expect(certificate.checkIssued(ca)).toBe(true);
    expect(certificate.verify(ca.publicKey)).toBe(true);
    expect(certificate.ca).toBe(false);
    expect(certificate.subject).toBe('O=CityCard Test City\nCN=1000000000000001\nserialNumber=1000000000000001');
    expect(certificate.subject).not.toContain('Test Citizen');
    expect(certificate.serialNumber).toBe('1000000000000001');
    expect(new Date(certificate.validFrom).toISOString()).toBe('2025-06-01T00:00:00.000Z');
    expect(new Date(certificate.validTo).toISOString()).toBe('2035-06-01T23:59:59.000Z');
  });
});
