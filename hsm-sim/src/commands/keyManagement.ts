/** Key management: generate, import from components, check values, listing. */
import { keyCheckValue as desKcv, toHex } from '@citycard/protocols';
import type { GenerateKeyInput, ImportKeyInput, KeyId } from '../custodian.js';
import { HsmKeyError, HsmRequestError } from '../errors.js';
import { type KeyInfo } from '../keystore/keyRecord.js';
import { checkKeyId } from '../keystore/keyStore.js';
import { type CommandContext } from './context.js';

/** Bytes of a 2-key 3DES key. */
export const DES2_LENGTH = 16;

/** KCV of a DES key as stored and printed: 3 bytes, 6 hex digits. */
export function desCheckValue(key: Uint8Array): string {
  return toHex(desKcv(key, 3));
}

function refuseExisting(ctx: CommandContext, input: KeyId): void {
  checkKeyId(input.label, input.version);
  if (ctx.keys.has(input.label, input.version)) {
    throw new HsmKeyError('KEY_EXISTS', `key ${input.label} version ${input.version} already exists`);
  }
}

/** Generates a random 2-key 3DES key inside the HSM; returns its KCV. Throws KEY_EXISTS. */
export function generateKey(ctx: CommandContext, input: GenerateKeyInput): string {
  refuseExisting(ctx, input);
  const value = ctx.random(DES2_LENGTH);
  try {
    const kcv = desCheckValue(value);
    ctx.keys.put(
      { label: input.label, version: input.version, kind: 'des2', usage: input.usage, exportable: input.exportable ?? false, kcv },
      value,
      ctx.clock(),
    );
    return kcv;
  } finally {
    value.fill(0);
  }
}

/**
 * Imports a 2-key 3DES key from clear components (each 16 bytes with its own KCV), XORed
 * together; returns the combined KCV. Throws `HsmKeyError` (KCV_MISMATCH) naming the component
 * whose value does not match its check value, or when the result does not match `input.kcv`.
 */
export function importKey(ctx: CommandContext, input: ImportKeyInput): string {
  refuseExisting(ctx, input);
  if (input.components.length === 0) throw new HsmRequestError('at least one key component is required');
  const value = Buffer.alloc(DES2_LENGTH);
  try {
    input.components.forEach((component, index) => {
      if (component.value.length !== DES2_LENGTH) {
        throw new HsmRequestError(`key component ${index + 1} must be ${DES2_LENGTH} bytes, got ${component.value.length}`);
      }
      if (desCheckValue(component.value) !== component.kcv.toUpperCase()) {
        throw new HsmKeyError('KCV_MISMATCH', `key component ${index + 1} does not match its check value`);
      }
      for (let i = 0; i < DES2_LENGTH; i++) value[i]! ^= component.value[i]!;
    });
    const kcv = desCheckValue(value);
    if (input.kcv !== undefined && input.kcv.toUpperCase() !== kcv) {
      throw new HsmKeyError('KCV_MISMATCH', `the combined key has check value ${kcv}, not ${input.kcv.toUpperCase()}`);
    }
    ctx.keys.put(
      { label: input.label, version: input.version, kind: 'des2', usage: input.usage, exportable: input.exportable ?? false, kcv },
      value,
      ctx.clock(),
    );
    return kcv;
  } finally {
    value.fill(0);
  }
}

/**
 * Check value of a stored key, recomputed from its value for DES keys (which also proves the
 * sealed record opens under this LMK). Throws KEY_NOT_FOUND, or `HsmStoreError` on a bad record.
 */
export function keyCheckValue(ctx: CommandContext, key: KeyId): string {
  const { info, value } = ctx.keys.revealAny(key.label, key.version);
  try {
    return info.kind === 'des2' ? desCheckValue(value) : info.kcv;
  } finally {
    value.fill(0);
  }
}

/** Attributes of every key (never values). */
export function listKeys(ctx: CommandContext): KeyInfo[] {
  return ctx.keys.list();
}
