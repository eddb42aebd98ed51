/** What the key store knows about a key, apart from its value. */

/** `des2`: a 16-byte 2-key 3DES key. `rsa`: an RSA private key (PKCS#8 DER). */
export type KeyKind = 'des2' | 'rsa';

/**
 * What a key may be used for. `purse-master`: an issuer master key diversified into card keys
 * (MPK, MLK, MTK, MAMK); `transport-master`: MTRK, diversified into blank cards' transport keys;
 * `kek`: a key-encryption key under which other keys leave the HSM; `ca`: the city CA signing key.
 */
export type KeyUsage = 'purse-master' | 'transport-master' | 'kek' | 'ca';

export const KEY_USAGES: readonly KeyUsage[] = ['purse-master', 'transport-master', 'kek', 'ca'];

/** Labels: 1 to 32 of A-Z a-z 0-9 _ -, starting with a letter or digit. */
export const KEY_LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** Key versions are one byte on the card interface; 0 is not used. */
export const MIN_KEY_VERSION = 1;
export const MAX_KEY_VERSION = 255;

/** Public attributes of a stored key. */
export interface KeyInfo {
  readonly label: string;
  /** 1 to 255. */
  readonly version: number;
  readonly kind: KeyKind;
  readonly usage: KeyUsage;
  /** Whether the key may leave the HSM wrapped under a KEK. */
  readonly exportable: boolean;
  /** Key check value, 6 hex digits (DES: ECB of a zero block; RSA: SHA-256 of the public key). */
  readonly kcv: string;
  /** ISO 8601. */
  readonly createdAt: string;
}

/** `LABEL:VV` as written in the audit log, e.g. `MTK:01`. */
export function keyRef(label: string, version: number): string {
  return `${label}:${version.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** The additional authenticated data that binds a sealed key to its attributes. */
export function keyAad(info: Omit<KeyInfo, 'createdAt'>): string {
  return ['key', info.label, info.version, info.kind, info.usage, info.exportable ? 1 : 0, info.kcv].join('|');
}
