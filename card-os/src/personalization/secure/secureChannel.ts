/**
 * The card's half of the personalization secure channel (docs/personalization.md §2 and §3),
 * volatile like every security state: power off, reset and SELECT close it.
 *
 * ```
 * S-ENC = E(KT, RC) ‖ E(KT, RH)          S-MAC = E(KT, NOT RC) ‖ E(KT, NOT RH)
 * card cryptogram = MAC3(S-MAC, 0, RH ‖ RC)      host cryptogram = MAC3(S-MAC, 0, RC ‖ RH)
 * EXTERNAL AUTHENTICATE = 84 82 00 00 10 ‖ host cryptogram ‖ MAC3(S-MAC, 0, 84 82 00 00 10 ‖ host cryptogram)
 * secured command = 84 INS P1 P2 Lc ‖ ENC ‖ C-MAC [‖ Le],  Lc = len(ENC) + 8,
 *                   C-MAC = MAC3(S-MAC, previous C-MAC, 84 INS P1 P2 Lc ‖ ENC),  ENC = CBC(S-ENC, pad2(plaintext))
 * ```
 * Phases: `closed` → INITIALIZE → `initialized` → EXTERNAL AUTHENTICATE → `open`. A wrong
 * cryptogram or C-MAC, or a secured command too short to carry one, closes the channel.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  PaddingError,
  SW,
  desCbcDecrypt,
  desEcbEncrypt,
  macAlgorithm3,
  unpadMethod2,
} from '@citycard/protocols';
import { CardError } from '../../runtime/cardError.js';

/** Bytes of RH, RC, cryptograms and C-MACs. */
export const SM_BLOCK = 8;
/** CLA of the secured commands. */
export const SM_CLA = 0x84;
const EXTERNAL_AUTHENTICATE_HEADER = Buffer.from([SM_CLA, 0x82, 0x00, 0x00, 0x10]);
const ZERO_ICV = Buffer.alloc(SM_BLOCK);

export type ChannelPhase = 'closed' | 'initialized' | 'open';

/** A secured command after its C-MAC checked: header bytes, decrypted plaintext, Le if sent. */
export interface UnwrappedCommand {
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Empty for MAC-only commands. The caller overwrites it once used (it may hold a key). */
  readonly plaintext: Buffer;
  /** 1 to 256, or undefined when the command carried no Le. */
  readonly le: number | undefined;
}

function not(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ~bytes[i]! & 0xff;
  return out;
}

function mac3(key: Uint8Array, icv: Uint8Array, data: Uint8Array): Buffer {
  return macAlgorithm3(key, data, { icv, length: SM_BLOCK, padding: 2 });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class SecureChannel {
  #phase: ChannelPhase = 'closed';
  #enc: Buffer | undefined;
  #mac: Buffer | undefined;
  #rc: Buffer | undefined;
  #rh: Buffer | undefined;
  #chain: Buffer | undefined;

  get phase(): ChannelPhase {
    return this.#phase;
  }

  /**
   * INITIALIZE PERSONALIZATION: derive the session keys from KT (16 bytes), RH and RC (8 bytes
   * each), drop any earlier session, and return the card cryptogram. Throws `RangeError` on bad
   * lengths.
   */
  initialize(kt: Uint8Array, hostRandom: Uint8Array, cardRandom: Uint8Array): Buffer {
    if (kt.length !== 16 || hostRandom.length !== SM_BLOCK || cardRandom.length !== SM_BLOCK) {
      throw new RangeError('KT must be 16 bytes, RH and RC 8 bytes each');
    }
    this.close();
    this.#rc = Buffer.from(cardRandom);
    this.#rh = Buffer.from(hostRandom);
    this.#enc = desEcbEncrypt(kt, Buffer.concat([this.#rc, this.#rh]));
    this.#mac = desEcbEncrypt(kt, Buffer.concat([not(this.#rc), not(this.#rh)]));
    this.#phase = 'initialized';
    return mac3(this.#mac, ZERO_ICV, Buffer.concat([this.#rh, this.#rc]));
  }

  /**
   * EXTERNAL AUTHENTICATE (the whole APDU): check the host cryptogram and the C-MAC, then open
   * the channel and start the MAC chain. Throws `CardError`: `6985` unless just initialized,
   * `6A86` for P1 P2 other than 00 00 (the channel stays initialized), `6700` for a wrong length
   * and `6982` for a wrong cryptogram or MAC (both close the channel).
   */
  authenticate(apdu: Buffer): void {
    if (this.#phase !== 'initialized') throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'EXTERNAL AUTHENTICATE out of order');
    if (apdu[2] !== 0x00 || apdu[3] !== 0x00) throw new CardError(SW.INCORRECT_P1P2);
    const length = EXTERNAL_AUTHENTICATE_HEADER.length + 2 * SM_BLOCK;
    if (apdu[4] !== 0x10 || (apdu.length !== length && apdu.length !== length + 1)) {
      this.close();
      throw new CardError(SW.WRONG_LENGTH);
    }
    const mac = this.#mac!;
    const expectedCryptogram = mac3(mac, ZERO_ICV, Buffer.concat([this.#rc!, this.#rh!]));
    const body = apdu.subarray(0, length - SM_BLOCK);
    const cmac = apdu.subarray(length - SM_BLOCK, length);
    const cryptogramOk = sameBytes(expectedCryptogram, body.subarray(EXTERNAL_AUTHENTICATE_HEADER.length));
    const macOk = sameBytes(mac3(mac, ZERO_ICV, body), cmac);
    if (!cryptogramOk || !macOk) {
      this.close();
      throw new CardError(SW.SECURITY_STATUS_NOT_SATISFIED, 'host cryptogram or C-MAC does not verify; session closed');
    }
    this.#chain = Buffer.from(cmac);
    this.#phase = 'open';
  }

  /**
   * Check a secured command's C-MAC on the chain, advance the chain and decrypt its data.
   * Throws `CardError`: `6985` when the channel is not open; `6700` when Lc cannot hold a C-MAC
   * over whole cipher blocks and `6982` for a wrong C-MAC (both close the channel); `6A80` for
   * bad padding (the chain has advanced: the channel stays open, in step with the host).
   */
  unwrap(apdu: Buffer): UnwrappedCommand {
    if (this.#phase !== 'open') throw new CardError(SW.CONDITIONS_NOT_SATISFIED, 'no open personalization session');
    const lc = apdu.length > 4 ? apdu[4]! : 0;
    const end = 5 + lc;
    const wellFormed =
      lc >= SM_BLOCK && (lc - SM_BLOCK) % SM_BLOCK === 0 && (apdu.length === end || apdu.length === end + 1);
    if (!wellFormed) {
      this.close();
      throw new CardError(SW.WRONG_LENGTH, 'secured command without room for a C-MAC; session closed');
    }
    const body = apdu.subarray(0, end - SM_BLOCK);
    const cmac = apdu.subarray(end - SM_BLOCK, end);
    if (!sameBytes(mac3(this.#mac!, this.#chain!, body), cmac)) {
      this.close();
      throw new CardError(SW.SECURITY_STATUS_NOT_SATISFIED, 'C-MAC does not verify; session closed');
    }
    this.#chain!.fill(0);
    this.#chain = Buffer.from(cmac);
    const leByte = apdu.length === end + 1 ? apdu[end]! : undefined;
    const le = leByte === undefined ? undefined : leByte === 0 ? 256 : leByte;
    const header = { ins: apdu[1]!, p1: apdu[2]!, p2: apdu[3]! };
    const enc = body.subarray(5);
    if (enc.length === 0) return { ...header, plaintext: Buffer.alloc(0), le };
    const padded = desCbcDecrypt(this.#enc!, enc);
    try {
      return { ...header, plaintext: unpadMethod2(padded), le };
    } catch (err) {
      if (err instanceof PaddingError) throw new CardError(SW.INCORRECT_DATA, 'bad padding in a secured command', { cause: err });
      throw err;
    } finally {
      padded.fill(0);
    }
  }

  /** Forget the session: overwrite the keys and chain. Idempotent. */
  close(): void {
    for (const secret of [this.#enc, this.#mac, this.#chain, this.#rc, this.#rh]) secret?.fill(0);
    this.#enc = this.#mac = this.#chain = this.#rc = this.#rh = undefined;
    this.#phase = 'closed';
  }
}
