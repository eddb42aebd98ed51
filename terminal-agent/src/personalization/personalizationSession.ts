/**
 * The station's side of one personalization session (docs/personalization.md §4): it asks the
 * HSM for each command and relays it to the card; it chooses nothing secret and never holds a
 * clear key or PIN, only the HSM's session handle and ciphertext.
 *
 * 1. `open(target)`       RH from the HSM, INITIALIZE PERSONALIZATION, the card cryptogram
 *                         checked by the HSM, EXTERNAL AUTHENTICATE
 * 2. `putKey`, `storeData`, `storePins`, `generateKeyPair`   wrapped by the HSM, relayed
 * 3. `end()`              END PERSONALIZATION (the HSM forgets the session)
 *
 * `abort()` tells the HSM to forget the session (best effort). Errors: `BusinessRuleError`
 * `CARD_NOT_BLANK` when the card refuses INITIALIZE with `6985`; `CryptoError` when the HSM
 * rejects the card cryptogram; `CardProtocolError` for any other status word; the transport's
 * and the HSM client's errors as they are.
 */
import type { CertificateSigner, PersonalizationCrypto, PersonalizationTarget } from '@citycard/hsm-sim';
import type { ApduChannel } from '../channel/apduChannel.js';
import { BusinessRuleError, CardProtocolError, CryptoError } from '../errors.js';
import {
  initializePersonalizationCommand,
  relayedCommand,
  relayedGenerateKeyPair,
} from './personalizationCommands.js';
import { PERSONALIZATION_RULE } from './stationErrors.js';

/** What the station needs of the HSM: the bureau role's personalization and certificate calls. */
export type StationCustodian = PersonalizationCrypto & CertificateSigner;

export class PersonalizationSession {
  readonly channel: ApduChannel;
  readonly #custodian: StationCustodian;
  #session: string | undefined;
  #csn: Buffer | undefined;

  constructor(channel: ApduChannel, custodian: StationCustodian) {
    this.channel = channel;
    this.#custodian = custodian;
  }

  /** The card's chip serial number, once `open` got it. */
  get csn(): Buffer | undefined {
    return this.#csn;
  }

  /** Open the secure session with a blank card for `target`. Throws as the module comment says. */
  async open(target: PersonalizationTarget, transportKeyVersion?: number): Promise<void> {
    const start = await this.#custodian.startPersonalization({
      target,
      ...(transportKeyVersion === undefined ? {} : { transportKeyVersion }),
    });
    this.#session = start.session;
    let init;
    try {
      init = await this.channel.send(initializePersonalizationCommand(start.hostRandom));
    } catch (err) {
      if (err instanceof CardProtocolError && err.sw === 0x6985) {
        throw new BusinessRuleError(PERSONALIZATION_RULE.CARD_NOT_BLANK, 'the card is not blank: it cannot be personalized', { cause: err });
      }
      throw err;
    }
    this.#csn = init.csn;
    let authenticate: Buffer;
    try {
      authenticate = await this.#custodian.openPersonalization({
        session: start.session,
        csn: init.csn,
        cardRandom: init.cardRandom,
        cardCryptogram: init.cardCryptogram,
      });
    } catch (err) {
      if ((err as { code?: unknown }).code === 'CRYPTOGRAM_INVALID') {
        this.#session = undefined;
        throw new CryptoError('the card cryptogram does not verify: not a genuine blank card, or another transport key', { cause: err });
      }
      throw err;
    }
    await this.channel.send(relayedCommand(authenticate));
  }

  /** PUT KEY of key id `keyId` (card 01-04, PSAM 11 and 14) of master key version `keyVersion`. */
  async putKey(keyId: number, keyVersion: number): Promise<void> {
    await this.channel.send(relayedCommand(await this.#custodian.wrapPutKey({ session: this.#handle(), keyId, keyVersion })));
  }

  /** STORE DATA of non-secret object bytes, in as many commands as the HSM needs. */
  async storeData(object: number, data: Uint8Array): Promise<void> {
    for (const apdu of await this.#custodian.wrapStoreData({ session: this.#handle(), object, data })) {
      await this.channel.send(relayedCommand(apdu));
    }
  }

  /** STORE DATA of the PIN and PUK the HSM chooses (the station never sees them in clear). */
  async storePins(): Promise<void> {
    for (const apdu of await this.#custodian.wrapStorePins({ session: this.#handle() })) {
      await this.channel.send(relayedCommand(apdu));
    }
  }

  /** GENERATE KEY PAIR; returns the card key's 256-byte modulus (exponent 65537). */
  async generateKeyPair(): Promise<Buffer> {
    return this.channel.send(relayedGenerateKeyPair(await this.#custodian.wrapGenerateKeyPair({ session: this.#handle() })));
  }

  /** END PERSONALIZATION. The HSM has forgotten the session once the command is built. */
  async end(): Promise<void> {
    const apdu = await this.#custodian.wrapEndPersonalization({ session: this.#handle() });
    this.#session = undefined;
    await this.channel.send(relayedCommand(apdu));
  }

  /** Tell the HSM to forget the session, if one is open; never throws. */
  async abort(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session === undefined) return;
    try {
      await this.#custodian.abortPersonalization({ session });
    } catch {
      // The HSM forgets idle sessions on its own; nothing more to do.
    }
  }

  #handle(): string {
    if (this.#session === undefined) throw new Error('no personalization session is open: call open() first');
    return this.#session;
  }
}
