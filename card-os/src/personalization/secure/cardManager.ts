/**
 * The blank card's card manager: routes the personalization commands (docs/personalization.md)
 * to their handlers. Secured commands are unwrapped first (C-MAC on the chain, then decryption),
 * so no handler ever sees a command the host did not send in this order; the plaintext (a key or
 * a PIN) is overwritten once the handler is done.
 *
 * | CLA INS | Command | Handler |
 * |---|---|---|
 * | 80 1A | INITIALIZE PERSONALIZATION | initializePersonalization.ts |
 * | 84 82 | EXTERNAL AUTHENTICATE | externalAuthenticate.ts |
 * | 84 D8 | PUT KEY | putKey.ts |
 * | 84 E2 | STORE DATA | storeData.ts |
 * | 84 46 | GENERATE KEY PAIR (citizen card only) | generateKeyPair.ts |
 * | 84 F0 | END PERSONALIZATION | endPersonalization.ts |
 */
import { SW, parseCommandApdu } from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';
import type { RandomSource } from '../../runtime/random.js';
import type { PersistentStore } from '../../storage/index.js';
import { endPersonalization } from './endPersonalization.js';
import { externalAuthenticate } from './externalAuthenticate.js';
import { generateKeyPair } from './generateKeyPair.js';
import { initializePersonalization } from './initializePersonalization.js';
import type { ManagerContext } from './managerContext.js';
import type { PersonalizationProfile } from './personalizationTable.js';
import { putKey } from './putKey.js';
import { SM_CLA, SecureChannel, type UnwrappedCommand } from './secureChannel.js';
import { storeData } from './storeData.js';

/** CLA and INS of the personalization commands. */
export const PERSONALIZATION_INS = {
  INITIALIZE: 0x1a,
  EXTERNAL_AUTHENTICATE: 0x82,
  PUT_KEY: 0xd8,
  STORE_DATA: 0xe2,
  GENERATE_KEY_PAIR: 0x46,
  END: 0xf0,
} as const;
const INITIALIZE_CLA = 0x80;

type SecuredHandler = (cmd: UnwrappedCommand, ctx: ManagerContext) => Buffer;

const SECURED: ReadonlyMap<number, SecuredHandler> = new Map<number, SecuredHandler>([
  [PERSONALIZATION_INS.PUT_KEY, putKey],
  [PERSONALIZATION_INS.STORE_DATA, storeData],
  [PERSONALIZATION_INS.GENERATE_KEY_PAIR, generateKeyPair],
  [PERSONALIZATION_INS.END, endPersonalization],
]);

/** Whether `apdu` is one of the personalization commands (by CLA and INS). */
export function isPersonalizationCommand(apdu: Uint8Array): boolean {
  if (apdu.length < 4) return false;
  if (apdu[0] === INITIALIZE_CLA) return apdu[1] === PERSONALIZATION_INS.INITIALIZE;
  return apdu[0] === SM_CLA && (apdu[1] === PERSONALIZATION_INS.EXTERNAL_AUTHENTICATE || SECURED.has(apdu[1]!));
}

export class CardManager {
  readonly #ctx: ManagerContext;

  constructor(store: PersistentStore, random: RandomSource, profile: PersonalizationProfile) {
    this.#ctx = { store, random, profile, channel: new SecureChannel() };
  }

  /** Whether a secure session is open (EXTERNAL AUTHENTICATE passed). */
  get sessionOpen(): boolean {
    return this.#ctx.channel.phase === 'open';
  }

  /**
   * Process a personalization command (see {@link isPersonalizationCommand}) on a blank card.
   * Returns the response; throws `CardError` for a status word, and what the store's commit
   * throws (`StorageError`).
   */
  process(apdu: Buffer): Buffer {
    const ctx = this.#ctx;
    const ins = apdu[1]!;
    if (apdu[0] === INITIALIZE_CLA) return initializePersonalization(parseCommandApdu(apdu), ctx);
    if (ins === PERSONALIZATION_INS.EXTERNAL_AUTHENTICATE) return externalAuthenticate(apdu, ctx);
    const handler = SECURED.get(ins);
    if (handler === undefined || (ins === PERSONALIZATION_INS.GENERATE_KEY_PAIR && ctx.profile.keyPairStoreKey === undefined)) {
      throw new CardError(SW.INS_NOT_SUPPORTED);
    }
    const cmd = ctx.channel.unwrap(apdu);
    try {
      return handler(cmd, ctx);
    } finally {
      cmd.plaintext.fill(0);
    }
  }

  /** Close the secure session (power off, reset, SELECT, a failure). */
  closeSession(): void {
    this.#ctx.channel.close();
  }
}
