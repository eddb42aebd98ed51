/**
 * The terminal side of the ID application (card interface spec §3) on an `ApduChannel`:
 *
 * 1. `selectApplication()`  SELECT the ID AID
 * 2. `readCardInfo()`       READ BINARY SFI 01, template E1
 * 3. `verifyCertificate()`  READ BINARY SFI 03 (by SFI, then by offset), checked offline
 *                           against the city CA at the session clock
 * 4. `authenticateCard()`   INTERNAL AUTHENTICATE P2 01 with a fresh 32-byte challenge
 * 5. `verifyPin(pin)`       VERIFY ref 01
 * 6. `readCardholder()`     READ BINARY SFI 02, template E2 (PIN needed)
 * 7. `authenticateCardholder(challenge)`  INTERNAL AUTHENTICATE P2 02 (PIN needed)
 *
 * Steps that need an earlier one run it first (reading card info selects the application if
 * this session has not). `authenticate()` runs 1 to 4.
 *
 * Errors: `BusinessRuleError` with an `ID_RULE` reason (`WrongPinError` for PIN_WRONG),
 * `IdentityCryptoError` (a `CryptoError`) with an `IdentityCryptoReason`, `CardProtocolError`
 * for status words or data the card should not send, `TransportError` from the transport,
 * `CommandParameterError` for a malformed PIN or challenge (before anything is sent).
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import {
  AUTH_MODE,
  type AuthMode,
  type CardInfo,
  type Cardholder,
  type Fci,
  ID_AID,
  ID_SFI,
  type PinCheckResult,
  ProtocolError,
  type SelectResult,
  decodeCardInfo,
  decodeCardholder,
  internalAuthenticateCommand,
  selectByAidCommand,
  verifyCommand,
  verifyStatusCommand,
} from '@citycard/protocols';
import type { ApduChannel } from '../channel/apduChannel.js';
import { BusinessRuleError, CardProtocolError } from '../errors.js';
import { loadCaCertificate, verifyAuthSignature, verifyCardCertificate } from './cardCertificate.js';
import { ID_RULE, WrongPinError } from './errors.js';
import { readTlvFile } from './readTlvFile.js';

/** Length of the challenge of card authentication. */
export const CARD_AUTH_CHALLENGE_LENGTH = 32;

export interface IdentitySessionOptions {
  /** The city CA certificate: PEM text, DER bytes or parsed. */
  readonly caCertificate: X509Certificate | string | Uint8Array;
  /** Time at which certificates must be valid (default: the system clock). */
  readonly clock?: (() => Date) | undefined;
  /** Source of challenges (default: node:crypto randomBytes). */
  readonly randomBytes?: ((size: number) => Buffer) | undefined;
}

/** Proof that the card holds the key its certificate certifies. */
export interface AuthenticationProof {
  readonly mode: AuthMode;
  readonly challenge: Buffer;
  /** 256 bytes, RSASSA-PKCS1-v1_5/SHA-256 over `"CITYCARD-AUTH" ‖ P2 ‖ challenge`, already verified. */
  readonly signature: Buffer;
}

export interface AuthenticatedCard {
  readonly cardInfo: CardInfo;
  readonly certificate: X509Certificate;
  readonly proof: AuthenticationProof;
}

/** What the status form of VERIFY tells. */
export type PinStatus = { readonly verified: true } | { readonly verified: false; readonly triesLeft: number; readonly blocked: boolean };

export class IdentitySession {
  readonly channel: ApduChannel;
  readonly #ca: X509Certificate;
  readonly #clock: () => Date;
  readonly #random: (size: number) => Buffer;
  #selected = false;
  #cardInfo: CardInfo | undefined;
  #certificate: X509Certificate | undefined;

  /** Throws `IdentityCryptoError` `CA_MALFORMED` or `CA_NOT_A_CA` for an unusable CA certificate. */
  constructor(channel: ApduChannel, options: IdentitySessionOptions) {
    this.channel = channel;
    this.#ca = loadCaCertificate(options.caCertificate);
    this.#clock = options.clock ?? (() => new Date());
    this.#random = options.randomBytes ?? randomBytes;
  }

  /** SELECT the ID application; forgets what was read before and clears the card's PIN state. */
  async selectApplication(): Promise<Fci> {
    this.#selected = false;
    this.#cardInfo = undefined;
    this.#certificate = undefined;
    let result: SelectResult;
    try {
      result = await this.channel.send(selectByAidCommand(ID_AID));
    } catch (err) {
      if (err instanceof CardProtocolError && err.sw === 0x6a82) {
        throw new BusinessRuleError(ID_RULE.ID_APPLICATION_NOT_FOUND, 'the card has no ID application', { cause: err });
      }
      if (err instanceof CardProtocolError && err.sw === 0x6a81) {
        throw new BusinessRuleError(ID_RULE.ID_APPLICATION_BLOCKED, 'the ID application is blocked', { cause: err });
      }
      throw err;
    }
    this.#selected = true;
    // The FCI is always present: SELECT by AID asks for it and the parser requires it.
    return result.fci!;
  }

  /** Card info (SFI 01), read once per selection. Throws `CardProtocolError` with the `IdDataError` as cause for bad data. */
  async readCardInfo(): Promise<CardInfo> {
    if (this.#cardInfo !== undefined) return this.#cardInfo;
    await this.#ensureSelected();
    const bytes = await readTlvFile(this.channel, ID_SFI.cardInfo);
    this.#cardInfo = decodeOrThrow('card info', () => decodeCardInfo(bytes));
    return this.#cardInfo;
  }

  /** The DER certificate (SFI 03), unverified. */
  async readCertificate(): Promise<Buffer> {
    await this.#ensureSelected();
    return readTlvFile(this.channel, ID_SFI.certificate);
  }

  /**
   * The card certificate, verified against the city CA at the session clock and the card number
   * of card info. Throws `IdentityCryptoError` (see `verifyCardCertificate`).
   */
  async verifyCertificate(): Promise<X509Certificate> {
    if (this.#certificate !== undefined) return this.#certificate;
    const cardInfo = await this.readCardInfo();
    const der = await this.readCertificate();
    this.#certificate = verifyCardCertificate(der, this.#ca, { at: this.#clock(), cardNumber: cardInfo.cardNumber });
    return this.#certificate;
  }

  /**
   * Card authentication: a fresh 32-byte challenge, INTERNAL AUTHENTICATE P2 01, signature
   * checked with the verified certificate. Throws `IdentityCryptoError` `SIGNATURE_INVALID`.
   */
  async authenticateCard(): Promise<AuthenticationProof> {
    const certificate = await this.verifyCertificate();
    const challenge = Buffer.from(this.#random(CARD_AUTH_CHALLENGE_LENGTH));
    return this.#internalAuthenticate(certificate, AUTH_MODE.card, challenge);
  }

  /** Select, read card info, verify the certificate and authenticate the card. */
  async authenticate(): Promise<AuthenticatedCard> {
    await this.selectApplication();
    const proof = await this.authenticateCard();
    return { cardInfo: await this.readCardInfo(), certificate: await this.verifyCertificate(), proof };
  }

  /** Tries left of the PIN, without trying it (status form of VERIFY). */
  async pinStatus(): Promise<PinStatus> {
    await this.#ensureSelected();
    const result = await this.channel.send(verifyStatusCommand());
    return result.ok ? { verified: true } : { verified: false, triesLeft: result.triesLeft, blocked: result.blocked };
  }

  /**
   * Present the PIN (4 to 8 digits). Resolves when the card accepts it. Throws `WrongPinError`
   * (reason PIN_WRONG, with `triesLeft`), `BusinessRuleError` PIN_BLOCKED when no try is left,
   * `CommandParameterError` for a PIN that is not 4 to 8 digits (nothing is sent).
   */
  async verifyPin(pin: string): Promise<void> {
    const command = verifyCommand(pin);
    await this.#ensureSelected();
    const result: PinCheckResult = await this.channel.send(command);
    if (result.ok) return;
    if (result.blocked) throw new BusinessRuleError(ID_RULE.PIN_BLOCKED, 'the PIN is blocked');
    throw new WrongPinError(result.triesLeft);
  }

  /** Cardholder data (SFI 02). Throws `BusinessRuleError` PIN_REQUIRED when the PIN is not verified. */
  async readCardholder(): Promise<Cardholder> {
    await this.#ensureSelected();
    const bytes = await pinRequired(() => readTlvFile(this.channel, ID_SFI.cardholder));
    return decodeOrThrow('cardholder', () => decodeCardholder(bytes));
  }

  /**
   * Cardholder authentication with a caller-given challenge (16 to 64 bytes, e.g. a backend
   * nonce): INTERNAL AUTHENTICATE P2 02, signature checked with the verified certificate.
   * Throws `BusinessRuleError` PIN_REQUIRED, `IdentityCryptoError` SIGNATURE_INVALID,
   * `CommandParameterError` for a challenge of another length (nothing is sent).
   */
  async authenticateCardholder(challenge: Uint8Array): Promise<AuthenticationProof> {
    const command = internalAuthenticateCommand(AUTH_MODE.cardholder, challenge);
    const certificate = await this.verifyCertificate();
    const signature = await pinRequired(() => this.channel.send(command));
    verifyAuthSignature(certificate, AUTH_MODE.cardholder, challenge, signature);
    return { mode: AUTH_MODE.cardholder, challenge: Buffer.from(challenge), signature: Buffer.from(signature) };
  }

  async #internalAuthenticate(certificate: X509Certificate, mode: AuthMode, challenge: Buffer): Promise<AuthenticationProof> {
    const signature = await this.channel.send(internalAuthenticateCommand(mode, challenge));
    verifyAuthSignature(certificate, mode, challenge, signature);
    return { mode, challenge, signature: Buffer.from(signature) };
  }

  async #ensureSelected(): Promise<void> {
    if (!this.#selected) await this.selectApplication();
  }
}

async function pinRequired<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof CardProtocolError && err.sw === 0x6982) {
      throw new BusinessRuleError(ID_RULE.PIN_REQUIRED, 'the PIN must be verified first', { cause: err });
    }
    throw err;
  }
}

function decodeOrThrow<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof ProtocolError) throw new CardProtocolError(`${what} on the card is malformed: ${err.message}`, undefined, { cause: err });
    throw err;
  }
}
