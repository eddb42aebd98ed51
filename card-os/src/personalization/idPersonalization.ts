/**
 * First-start personalization of the ID application: card info, cardholder, PIN and PUK, a card
 * key generated on the card, and the city CA's certificate of that key. Everything is staged in
 * one transaction, so a card is personalized entirely or not at all.
 */
import { X509Certificate } from 'node:crypto';
import { ID_AID, encodeCardholder, encodeCardInfo, type CardInfo, type Cardholder } from '@citycard/protocols';
import { generateCardKey } from '../applications/id/cardKey.js';
import {
  ID_CARD_INFO_EF,
  ID_CARD_KEY_NAME,
  ID_CARDHOLDER_EF,
  ID_CERTIFICATE_EF,
  ID_PIN,
  ID_PUK,
} from '../applications/id/idApplication.js';
import { appValueKey, dfPrefix, efKey, pinTriesKey, pinValueKey, secretKeyKey } from '../fs/storeKeys.js';
import type { PersistentStore } from '../storage/index.js';
import type { StoreTransaction } from '../runtime/transaction.js';
import { encodePinBlock, type PinSpec } from '../security/pinSpec.js';
import { AlreadyPersonalizedError, PersonalizationError } from './errors.js';

/** What the card asks the city CA to certify. */
export interface CardCertificateRequest {
  /** 16 digits; the certificate subject carries it, never the name. */
  readonly cardNumber: string;
  /** The card key, SubjectPublicKeyInfo DER. */
  readonly subjectPublicKeyDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Certificate serial, hex: the card number's digits. */
  readonly serial: string;
}

/** The city CA as personalization sees it: returns the DER certificate (hsm-sim's `cardCertificateIssuer`). */
export type CardCertificateIssuer = (request: CardCertificateRequest) => Uint8Array;

export interface IdPersonalization {
  readonly cardInfo: CardInfo;
  readonly cardholder: Cardholder;
  /** 4 to 8 digits. */
  readonly pin: string;
  /** 8 digits. */
  readonly puk: string;
  readonly issueCertificate: CardCertificateIssuer;
  readonly certificateValidity: { readonly notBefore: Date; readonly notAfter: Date };
}

export interface IdPersonalizationResult {
  readonly cardNumber: string;
  /** The card key's public half (SPKI DER); the private half stays in the card's store. */
  readonly publicKeyDer: Buffer;
  readonly certificateDer: Buffer;
}

/** Lifecycle byte of a personalized application (ISO 7816-4: operational, activated). */
export const LIFECYCLE_OPERATIONAL = 0x07;
const ID_AID_HEX = ID_AID.toString('hex').toUpperCase();
/** Store key of the ID application's lifecycle byte. */
export const ID_LIFECYCLE_KEY = appValueKey(ID_AID_HEX, 'lifecycle');

/** Whether the store holds anything of the ID application. */
export function isIdPersonalized(store: PersistentStore): boolean {
  const prefix = dfPrefix(ID_AID_HEX);
  return store.get(ID_LIFECYCLE_KEY) !== undefined || store.keys().some((key) => key.startsWith(prefix));
}

/**
 * Stage the ID application's personalization into `tx` (the caller commits). Throws
 * `AlreadyPersonalizedError` when the store already holds the ID application;
 * `PersonalizationError` (with the cause) for card data the codecs refuse, a malformed PIN or PUK,
 * a certificate that does not parse, is not for the card key, or exceeds the certificate EF;
 * whatever the issuer throws.
 */
export function personalizeIdApplication(
  store: PersistentStore,
  tx: StoreTransaction,
  data: IdPersonalization,
): IdPersonalizationResult {
  if (isIdPersonalized(store)) throw new AlreadyPersonalizedError('ID');
  const cardInfo = encode('card info', () => encodeCardInfo(data.cardInfo));
  const cardholder = encode('cardholder', () => encodeCardholder(data.cardholder));
  const pin = encode('PIN', () => encodePinBlock(data.pin, ID_PIN));
  const puk = encode('PUK', () => encodePinBlock(data.puk, ID_PUK));
  const publicKeyDer = generateCardKey(tx, secretKeyKey(ID_AID_HEX, ID_CARD_KEY_NAME));
  const cardNumber = data.cardInfo.cardNumber;
  const certificateDer = Buffer.from(
    data.issueCertificate({ cardNumber, subjectPublicKeyDer: publicKeyDer, serial: cardNumber, ...data.certificateValidity }),
  );
  checkCertificate(certificateDer, publicKeyDer);
  tx.set(efKey(ID_AID_HEX, ID_CARD_INFO_EF.fid), cardInfo);
  tx.set(efKey(ID_AID_HEX, ID_CARDHOLDER_EF.fid), cardholder);
  tx.set(efKey(ID_AID_HEX, ID_CERTIFICATE_EF.fid), certificateDer);
  stagePin(tx, ID_PIN, pin);
  stagePin(tx, ID_PUK, puk);
  tx.set(ID_LIFECYCLE_KEY, Buffer.from([LIFECYCLE_OPERATIONAL]));
  return { cardNumber, publicKeyDer, certificateDer };
}

function stagePin(tx: StoreTransaction, spec: PinSpec, block: Buffer): void {
  tx.set(pinValueKey(ID_AID_HEX, spec.ref), block);
  tx.set(pinTriesKey(ID_AID_HEX, spec.ref), Buffer.from([spec.maxTries]));
}

function checkCertificate(der: Buffer, publicKeyDer: Buffer): void {
  if (der.length > ID_CERTIFICATE_EF.maxSize) {
    throw new PersonalizationError(`certificate of ${der.length} bytes exceeds the ${ID_CERTIFICATE_EF.maxSize}-byte EF`);
  }
  let certified: Buffer;
  try {
    certified = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  } catch (err) {
    throw new PersonalizationError('the CA returned a certificate that does not parse', { cause: err });
  }
  if (!certified.equals(publicKeyDer)) throw new PersonalizationError('the CA certified another key than the card key');
}

function encode<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new PersonalizationError(`invalid ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
