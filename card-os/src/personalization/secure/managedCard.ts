/**
 * A card whose life cycle the card manager governs: a `VirtualCard` behind the personalization
 * commands (docs/personalization.md).
 *
 * - BLANK: the personalization commands go to the card manager; every other command answers
 *   `6985` (a SELECT also closes the secure session, as power off and reset do).
 * - PERSONALIZED, or a store without card manager state (personalized by the test profile): the
 *   personalization commands answer `6985` for good; everything else is the `VirtualCard`'s.
 *
 * Like `VirtualCard`, a storage failure (I/O error or power loss inside a commit) makes the card
 * answer `6581` to everything until it is rebuilt over a reopened store; the store then holds
 * either the state before the failed command or after it.
 */
import { SW } from '@citycard/protocols';
import { statusWordOf } from '../../runtime/errorStatus.js';
import { status } from '../../runtime/response.js';
import { systemRandom } from '../../runtime/random.js';
import type { SmartCard } from '../../smartCard.js';
import { StorageError, type PersistentStore } from '../../storage/index.js';
import { VirtualCard, type VirtualCardOptions } from '../../virtualCard.js';
import { cardLifecycle, cardProfileOf, type Lifecycle } from './blankCard.js';
import { CardManager, isPersonalizationCommand } from './cardManager.js';
import { PERSONALIZATION_PROFILES } from './personalizationTable.js';

const SELECT_INS = 0xa4;

export class ManagedCard implements SmartCard {
  readonly atr: Buffer;
  readonly #inner: VirtualCard;
  readonly #store: PersistentStore;
  readonly #manager: CardManager | undefined;
  readonly #onInternalError: (err: unknown) => void;
  #failure: StorageError | undefined;

  /**
   * `options` as for `VirtualCard` (install the applications the profile personalizes: ID and EP
   * for a citizen card, PSAM for a PSAM). Throws what `VirtualCard` throws.
   */
  constructor(options: VirtualCardOptions) {
    this.#inner = new VirtualCard(options);
    this.atr = this.#inner.atr;
    this.#store = options.store;
    this.#onInternalError = options.onInternalError ?? (() => {});
    const profile = cardProfileOf(options.store);
    this.#manager = profile === undefined ? undefined : new CardManager(options.store, options.random ?? systemRandom, PERSONALIZATION_PROFILES[profile]);
  }

  /** `blank`, `personalized`, or undefined for a store without card manager state. */
  get lifecycle(): Lifecycle | undefined {
    return cardLifecycle(this.#store);
  }

  /** The storage failure after which the card answers `6581` to everything, if any. */
  get storageFailure(): Error | undefined {
    return this.#failure ?? this.#inner.storageFailure;
  }

  get isPowered(): boolean {
    return this.#inner.isPowered;
  }

  powerOn(): Buffer {
    this.#manager?.closeSession();
    return this.#inner.powerOn();
  }

  powerOff(): void {
    this.#manager?.closeSession();
    this.#inner.powerOff();
  }

  reset(): Buffer {
    return this.powerOn();
  }

  /** Process one command APDU (powering the card first if needed). Never throws. */
  transmit(command: Uint8Array): Buffer {
    if (this.storageFailure !== undefined) return status(SW.MEMORY_FAILURE);
    if (!this.isPowered) this.powerOn();
    const apdu = Buffer.from(command);
    let lifecycle: Lifecycle | undefined;
    try {
      lifecycle = cardLifecycle(this.#store);
    } catch (err) {
      return this.#fail(err);
    }
    if (lifecycle !== 'blank') {
      return isPersonalizationCommand(apdu) ? status(SW.CONDITIONS_NOT_SATISFIED) : this.#inner.transmit(apdu);
    }
    if (apdu.length < 4) return status(SW.WRONG_LENGTH);
    if (!isPersonalizationCommand(apdu) || this.#manager === undefined) {
      if (apdu[1] === SELECT_INS) this.#manager?.closeSession();
      return status(SW.CONDITIONS_NOT_SATISFIED);
    }
    try {
      return this.#manager.process(apdu);
    } catch (err) {
      return this.#fail(err);
    }
  }

  #fail(err: unknown): Buffer {
    const sw = statusWordOf(err);
    if (sw !== undefined && !(err instanceof StorageError)) return status(sw);
    this.#manager?.closeSession();
    if (err instanceof StorageError) {
      this.#failure = err;
      return status(SW.MEMORY_FAILURE);
    }
    try {
      this.#onInternalError(err);
    } catch {
      // The hook is for observation only; the card still answers.
    }
    return status(SW.NO_PRECISE_DIAGNOSIS);
  }
}
