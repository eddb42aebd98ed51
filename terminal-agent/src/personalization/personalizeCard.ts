/**
 * Personalize a blank citizen card at the station (docs/personalization.md §4), as one story:
 *
 * 1. power on, open the secure session through the HSM (the card's transport key);
 * 2. PUT KEY DPK, DLK, DTK, DAMK (diversified inside the HSM by the card number);
 * 3. STORE DATA of the PIN and PUK (chosen by the HSM), card info, cardholder, EP limits and
 *    issuer data (EF 0x12, EF 0x15);
 * 4. GENERATE KEY PAIR on the card; the HSM's city CA certifies the modulus;
 * 5. STORE DATA of the certificate, END PERSONALIZATION.
 *
 * The station relays ciphertext only; the trail it keeps (and logs at trace level) holds no clear
 * key or PIN. Throws `PersonalizationFailedError` (see stationErrors.ts), after telling the HSM
 * to forget the session; a card that failed before END PERSONALIZATION stays blank and can be
 * personalized again from the start.
 */
import { X509Certificate } from 'node:crypto';
import {
  type CardInfo,
  type Cardholder,
  encodeBcd,
  encodeCardInfo,
  encodeCardholder,
  encodeEpIssuerData,
  encodeEpLimits,
} from '@citycard/protocols';
import { ApduChannel } from '../channel/apduChannel.js';
import type { ApduTrailEntry } from '../channel/apduTrail.js';
import type { TraceLogger } from '../channel/traceLogger.js';
import { CryptoError } from '../errors.js';
import type { CardTransport } from '../transport/cardTransport.js';
import { PersonalizationSession, type StationCustodian } from './personalizationSession.js';
import { StepRunner } from './stepRunner.js';

/** STORE DATA objects and PUT KEY ids of a citizen card (docs/personalization.md §3). */
export const CARD_OBJECT = {
  cardInfo: 0x0101,
  cardholder: 0x0102,
  certificate: 0x0103,
  epLimits: 0x0212,
  epIssuerData: 0x0215,
} as const;
export const CARD_KEY_IDS = { DPK: 0x01, DLK: 0x02, DTK: 0x03, DAMK: 0x04 } as const;

export interface PurseSettings {
  /** Fen, 0 to 2^32-1. */
  readonly maxBalance: number;
  /** Fen, 0 to 2^32-1. */
  readonly maxSinglePurchase: number;
  /** EP application version, 0 to 255; default 1. */
  readonly appVersion?: number;
}

export interface CardOrder {
  /** Card number, dates, type and issuer: card info (SFI 01) and the EP issuer data (EF 0x15). */
  readonly cardInfo: CardInfo;
  readonly cardholder: Cardholder;
  /** EF 0x12. */
  readonly purse: PurseSettings;
  /** Version of the master keys the card keys come from, 1 to 255; default 1. */
  readonly keyVersion?: number;
  /** Version of the transport master key of the blank card; default the HSM's (1). */
  readonly transportKeyVersion?: number;
}

export interface StationOptions {
  /** Gets every exchange at trace level (ciphertext only). */
  readonly logger?: TraceLogger | undefined;
  /** Time stamps of the trail (default: the system clock). */
  readonly clock?: (() => Date) | undefined;
}

export interface CardPersonalizationResult {
  readonly cardNumber: string;
  /** The card's chip serial number, 8 bytes. */
  readonly csn: Buffer;
  /** The card certificate (DER) the city CA issued and the card now holds. */
  readonly certificate: Buffer;
  /** Every exchange with the card, oldest first. */
  readonly trail: readonly ApduTrailEntry[];
}

/** Personalize the blank citizen card on `transport`. Throws as the module comment says. */
export async function personalizeCard(
  transport: CardTransport,
  custodian: StationCustodian,
  order: CardOrder,
  options: StationOptions = {},
): Promise<CardPersonalizationResult> {
  const channel = new ApduChannel(transport, options);
  const session = new PersonalizationSession(channel, custodian);
  const run = new StepRunner(channel, session);
  const cardNumber = order.cardInfo.cardNumber;
  const keyVersion = order.keyVersion ?? 1;
  const files = await run.step('encoding the card data', async () => ({
    cardNumberBcd: encodeBcd(cardNumber, 8),
    cardInfo: encodeCardInfo(order.cardInfo),
    cardholder: encodeCardholder(order.cardholder),
    epLimits: encodeEpLimits(order.purse),
    epIssuerData: encodeEpIssuerData({
      issuerId: order.cardInfo.issuerId,
      appVersion: order.purse.appVersion ?? 1,
      cardNumber,
      effectiveDate: order.cardInfo.effectiveDate,
      expiryDate: order.cardInfo.expiryDate,
      cardType: order.cardInfo.cardType,
    }),
  }));
  await run.step('power on', () => transport.powerOn());
  await run.step('opening the session', () =>
    session.open({ kind: 'card', cardNumber: files.cardNumberBcd }, order.transportKeyVersion),
  );
  for (const [name, keyId] of Object.entries(CARD_KEY_IDS)) {
    await run.step(`PUT KEY ${name}`, () => session.putKey(keyId, keyVersion));
  }
  await run.step('STORE DATA PIN and PUK', () => session.storePins());
  await run.step('STORE DATA card info', () => session.storeData(CARD_OBJECT.cardInfo, files.cardInfo));
  await run.step('STORE DATA cardholder', () => session.storeData(CARD_OBJECT.cardholder, files.cardholder));
  await run.step('STORE DATA EP limits', () => session.storeData(CARD_OBJECT.epLimits, files.epLimits));
  await run.step('STORE DATA EP issuer data', () => session.storeData(CARD_OBJECT.epIssuerData, files.epIssuerData));
  const modulus = await run.step('GENERATE KEY PAIR', () => session.generateKeyPair());
  const certificate = await run.step('certificate', async () => {
    const der = await custodian.signCardCertificate({ cardNumber: files.cardNumberBcd, modulus });
    checkCertifiedModulus(der, modulus);
    return der;
  });
  await run.step('STORE DATA certificate', () => session.storeData(CARD_OBJECT.certificate, certificate));
  await run.step('END PERSONALIZATION', () => session.end());
  return { cardNumber, csn: session.csn!, certificate, trail: channel.trail };
}

/** Throws `CryptoError` unless the certificate parses and certifies exactly `modulus` (exponent 65537). */
function checkCertifiedModulus(der: Buffer, modulus: Buffer): void {
  let jwk: { n?: string; e?: string };
  try {
    jwk = new X509Certificate(der).publicKey.export({ format: 'jwk' });
  } catch (err) {
    throw new CryptoError('the HSM returned a certificate that does not parse', { cause: err });
  }
  if (jwk.e !== 'AQAB' || !Buffer.from(jwk.n ?? '', 'base64url').equals(modulus)) {
    throw new CryptoError('the certificate does not certify the key the card generated');
  }
}
