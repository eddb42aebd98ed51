/**
 * An independent model of the card side of personalization secure messaging
 * (docs/personalization.md), written from the document with node:crypto only, so the HSM's
 * wrapping is checked against a second implementation rather than against itself.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

function ecb(key: Buffer, encrypt: boolean, data: Uint8Array): Buffer {
  const c = encrypt ? createCipheriv('des-ede3-ecb', key, null) : createDecipheriv('des-ede3-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** 2-key 3DES ECB (K1 K2 K1). */
export function e(key16: Uint8Array, data: Uint8Array): Buffer {
  return ecb(Buffer.concat([key16, key16.subarray(0, 8)]), true, data);
}

function des(key8: Uint8Array, encrypt: boolean, block: Uint8Array): Buffer {
  return ecb(Buffer.concat([key8, key8, key8]), encrypt, block);
}

export function not(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.map((b) => ~b & 0xff));
}

export function pad2(data: Uint8Array): Buffer {
  const out = Buffer.alloc((Math.floor(data.length / 8) + 1) * 8);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** ISO/IEC 9797-1 MAC algorithm 3, padding method 2, full 8 bytes, block by block. */
export function retailMac(key16: Uint8Array, icv: Uint8Array, data: Uint8Array): Buffer {
  const k1 = key16.subarray(0, 8);
  const k2 = key16.subarray(8, 16);
  const padded = pad2(data);
  let x: Buffer = Buffer.from(icv);
  for (let at = 0; at < padded.length; at += 8) {
    const block = Buffer.from(padded.subarray(at, at + 8).map((b, i) => b ^ x[i]!));
    x = des(k1, true, block);
  }
  return des(k1, true, des(k2, false, x));
}

/** 3DES-CBC decryption with a zero IV. */
export function cbcDecrypt(key16: Uint8Array, data: Uint8Array): Buffer {
  const c = createDecipheriv('des-ede3-cbc', Buffer.concat([key16, key16.subarray(0, 8)]), Buffer.alloc(8));
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** Strict removal of padding method 2. */
export function unpad2(data: Buffer): Buffer {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0x00) i--;
  if (data[i] !== 0x80) throw new Error('bad padding');
  return data.subarray(0, i);
}

/** The card's half of a session: keys, cryptogram, and the checks it applies to every command. */
export class CardSession {
  readonly kt: Buffer;
  readonly sEnc: Buffer;
  readonly sMac: Buffer;
  chain: Buffer | undefined;

  constructor(
    mtrk: Uint8Array,
    readonly csn: Uint8Array,
    readonly rc: Uint8Array,
    readonly rh: Uint8Array,
  ) {
    this.kt = Buffer.concat([e(mtrk, csn), e(mtrk, not(csn))]);
    this.sEnc = Buffer.concat([e(this.kt, rc), e(this.kt, rh)]);
    this.sMac = Buffer.concat([e(this.kt, not(rc)), e(this.kt, not(rh))]);
  }

  cardCryptogram(): Buffer {
    return retailMac(this.sMac, Buffer.alloc(8), Buffer.concat([this.rh, this.rc]));
  }

  /** Expected EXTERNAL AUTHENTICATE from the host. */
  externalAuthenticate(): Buffer {
    const hostCryptogram = retailMac(this.sMac, Buffer.alloc(8), Buffer.concat([this.rc, this.rh]));
    const body = Buffer.concat([Buffer.from('8482000010', 'hex'), hostCryptogram]);
    return Buffer.concat([body, retailMac(this.sMac, Buffer.alloc(8), body)]);
  }

  /** Accepts EXTERNAL AUTHENTICATE (throws when it is not the expected one) and starts the chain. */
  authenticate(apdu: Buffer): void {
    if (!apdu.equals(this.externalAuthenticate())) throw new Error('EXTERNAL AUTHENTICATE mismatch');
    this.chain = Buffer.from(apdu.subarray(13, 21));
  }

  /**
   * Checks one secured command like the card would (header, Lc, C-MAC on the chain), advances
   * the chain and returns INS, P1, P2, the plaintext and the Le byte if any.
   */
  receive(apdu: Buffer): { ins: number; p1: number; p2: number; plaintext: Buffer; le: number | undefined } {
    if (this.chain === undefined) throw new Error('not authenticated');
    if (apdu[0] !== 0x84) throw new Error('CLA is not 84');
    const lc = apdu[4]!;
    const le = apdu.length === 5 + lc + 1 ? apdu[5 + lc] : undefined;
    if (apdu.length !== 5 + lc && le === undefined) throw new Error('Lc does not match');
    const body = apdu.subarray(0, 5 + lc - 8);
    const cmac = apdu.subarray(5 + lc - 8, 5 + lc);
    if (!retailMac(this.sMac, this.chain, body).equals(cmac)) throw new Error('C-MAC mismatch');
    this.chain = Buffer.from(cmac);
    const enc = body.subarray(5);
    const plaintext = enc.length === 0 ? Buffer.alloc(0) : unpad2(cbcDecrypt(this.sEnc, enc));
    return { ins: apdu[1]!, p1: apdu[2]!, p2: apdu[3]!, plaintext, le };
  }
}
