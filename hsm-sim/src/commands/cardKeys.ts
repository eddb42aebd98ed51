/** Card key diversification (§4.1): DPK, DLK, DTK, DAMK from MPK, MLK, MTK, MAMK by card number. */
import { desEcbEncrypt, diversifyKey } from '@citycard/protocols';
import type { DiversifiedCardKeys, DiversifyCardKeysInput, KeyId } from '../custodian.js';
import { MAMK, MLK, MPK, MTK } from '../keystore/keyLabels.js';
import { type KeyUsage } from '../keystore/keyRecord.js';
import { type CommandContext } from './context.js';
import { desCheckValue } from './keyManagement.js';

/** Card key name → master key label. */
export const CARD_KEY_MASTERS = { DPK: MPK, DLK: MLK, DTK: MTK, DAMK: MAMK } as const;
export type CardKeyName = keyof typeof CARD_KEY_MASTERS;

/**
 * Runs `use` with the clear value of a key of `usage` and overwrites it afterwards.
 * Throws KEY_NOT_FOUND or KEY_USAGE.
 */
export function withKey<T>(ctx: CommandContext, key: KeyId, usage: KeyUsage, use: (value: Buffer) => T): T {
  const { value } = ctx.keys.reveal(key.label, key.version, usage);
  try {
    return use(value);
  } finally {
    value.fill(0);
  }
}

/**
 * Runs `use` with one card key (diversified from its master, version `keyVersion`, by the
 * 8-byte card number), overwritten afterwards.
 */
export function withCardKey<T>(
  ctx: CommandContext,
  name: CardKeyName,
  keyVersion: number,
  cardNumber: Uint8Array,
  use: (cardKey: Buffer) => T,
): T {
  return withKey(ctx, { label: CARD_KEY_MASTERS[name], version: keyVersion }, 'purse-master', (master) => {
    const cardKey = diversifyKey(master, cardNumber);
    try {
      return use(cardKey);
    } finally {
      cardKey.fill(0);
    }
  });
}

/**
 * Check values of the four card keys, and their values wrapped under `input.kek` (a `kek` key)
 * when given. Throws KEY_NOT_FOUND or KEY_USAGE.
 */
export function diversifyCardKeys(ctx: CommandContext, input: DiversifyCardKeysInput): DiversifiedCardKeys {
  const one = (name: CardKeyName): { kcv: string; wrapped?: Buffer } =>
    withCardKey(ctx, name, input.keyVersion, input.cardNumber, (cardKey) => {
      const kcv = desCheckValue(cardKey);
      if (input.kek === undefined) return { kcv };
      const wrapped = withKey(ctx, input.kek, 'kek', (kek) => desEcbEncrypt(kek, cardKey));
      return { kcv, wrapped };
    });
  return { DPK: one('DPK'), DLK: one('DLK'), DTK: one('DTK'), DAMK: one('DAMK') };
}
