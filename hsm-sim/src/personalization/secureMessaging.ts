/**
 * Personalization secure messaging, host side (docs/personalization.md §2 and §3), as pure
 * functions over clear session keys. `E` is 3DES-ECB under a 16-byte key, `MAC3` the ISO/IEC
 * 9797-1 MAC algorithm 3 with padding method 2 (full 8 bytes), `CBC` 3DES-CBC with a zero IV.
 *
 * ```
 * KT    = E(MTRK, CSN) ‖ E(MTRK, NOT CSN)
 * S-ENC = E(KT, RC) ‖ E(KT, RH)          S-MAC = E(KT, NOT RC) ‖ E(KT, NOT RH)
 * card cryptogram = MAC3(S-MAC, 0, RH ‖ RC)      host cryptogram = MAC3(S-MAC, 0, RC ‖ RH)
 * EXTERNAL AUTHENTICATE = 84 82 00 00 10 ‖ host cryptogram ‖ MAC3(S-MAC, 0, 84 82 00 00 10 ‖ host cryptogram)
 * secured command = 84 INS P1 P2 Lc ‖ ENC ‖ C-MAC,  ENC = CBC(S-ENC, pad2(plaintext)) (absent without data),
 *                   Lc = len(ENC) + 8,  C-MAC = MAC3(S-MAC, previous C-MAC, 84 INS P1 P2 Lc ‖ ENC)
 * ```
 */
import { desCbcEncrypt, desEcbEncrypt, macAlgorithm3, padMethod2 } from '@citycard/protocols';

/** Bytes of RH, RC, CSN, cryptograms and C-MACs. */
export const SM_BLOCK = 8;
/** Largest plaintext of one secured command. */
export const MAX_SM_PLAINTEXT = 239;
/** CLA of secured commands. */
export const SM_CLA = 0x84;
export const INS_EXTERNAL_AUTHENTICATE = 0x82;

/** The two 16-byte session keys. */
export interface SmKeys {
  readonly enc: Buffer;
  readonly mac: Buffer;
}

/** A secured command and the C-MAC that chains the next one. */
export interface SecuredCommand {
  readonly apdu: Buffer;
  readonly cmac: Buffer;
}

function checkLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${bytes.length}`);
}

function not(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ~bytes[i]! & 0xff;
  return out;
}

/** Session keys from the card's transport key KT (16 bytes), RC and RH (8 bytes each). */
export function sessionKeys(kt: Uint8Array, cardRandom: Uint8Array, hostRandom: Uint8Array): SmKeys {
  checkLength('KT', kt, 16);
  checkLength('RC', cardRandom, SM_BLOCK);
  checkLength('RH', hostRandom, SM_BLOCK);
  return {
    enc: desEcbEncrypt(kt, Buffer.concat([cardRandom, hostRandom])),
    mac: desEcbEncrypt(kt, Buffer.concat([not(cardRandom), not(hostRandom)])),
  };
}

function mac3(sMac: Uint8Array, icv: Uint8Array, data: Uint8Array): Buffer {
  return macAlgorithm3(sMac, data, { icv, length: SM_BLOCK, padding: 2 });
}

const ZERO_ICV = new Uint8Array(SM_BLOCK);

/** `MAC3(S-MAC, 0, RH ‖ RC)`: what a genuine card answers to INITIALIZE PERSONALIZATION. */
export function cardCryptogram(sMac: Uint8Array, hostRandom: Uint8Array, cardRandom: Uint8Array): Buffer {
  return mac3(sMac, ZERO_ICV, Buffer.concat([hostRandom, cardRandom]));
}

/** `MAC3(S-MAC, 0, RC ‖ RH)`: the host's proof in EXTERNAL AUTHENTICATE. */
export function hostCryptogram(sMac: Uint8Array, cardRandom: Uint8Array, hostRandom: Uint8Array): Buffer {
  return mac3(sMac, ZERO_ICV, Buffer.concat([cardRandom, hostRandom]));
}

/** EXTERNAL AUTHENTICATE with its C-MAC, which starts the chain. */
export function externalAuthenticate(sMac: Uint8Array, cardRandom: Uint8Array, hostRandom: Uint8Array): SecuredCommand {
  const header = Buffer.from([SM_CLA, INS_EXTERNAL_AUTHENTICATE, 0x00, 0x00, 0x10]);
  const body = Buffer.concat([header, hostCryptogram(sMac, cardRandom, hostRandom)]);
  const cmac = mac3(sMac, ZERO_ICV, body);
  return { apdu: Buffer.concat([body, cmac]), cmac };
}

/**
 * A secured command chained on `previousCmac` (8 bytes). `plaintext` 0 to 239 bytes (empty: MAC
 * only); `le` appends an Le byte outside the MAC (for a command that answers data). Throws
 * `RangeError` on bad lengths or header bytes.
 */
export function secureCommand(
  keys: SmKeys,
  previousCmac: Uint8Array,
  ins: number,
  p1: number,
  p2: number,
  plaintext: Uint8Array,
  le?: number,
): SecuredCommand {
  checkLength('previous C-MAC', previousCmac, SM_BLOCK);
  if (plaintext.length > MAX_SM_PLAINTEXT) throw new RangeError(`plaintext must be at most ${MAX_SM_PLAINTEXT} bytes, got ${plaintext.length}`);
  for (const [name, v] of [['INS', ins], ['P1', p1], ['P2', p2]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${name} must be a byte, got ${v}`);
  }
  let enc: Buffer = Buffer.alloc(0);
  if (plaintext.length > 0) {
    const padded = padMethod2(plaintext);
    enc = desCbcEncrypt(keys.enc, padded);
    // The plaintext may be a key or a PIN: do not leave the padded copy behind.
    padded.fill(0);
  }
  const body = Buffer.concat([Buffer.from([SM_CLA, ins, p1, p2, enc.length + SM_BLOCK]), enc]);
  const cmac = mac3(keys.mac, previousCmac, body);
  const tail = le === undefined ? [] : [Buffer.from([le & 0xff])];
  return { apdu: Buffer.concat([body, cmac, ...tail]), cmac };
}
