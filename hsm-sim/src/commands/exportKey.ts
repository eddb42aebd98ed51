/** Key export, only ever wrapped under a key-encryption key (PSAM loading, card factories). */
import { desEcbEncrypt } from '@citycard/protocols';
import type { ExportKeyInput, WrappedKey } from '../custodian.js';
import { HsmKeyError, HsmRequestError } from '../errors.js';
import { keyRef } from '../keystore/keyRecord.js';
import { withKey } from './cardKeys.js';
import { type CommandContext } from './context.js';
import { desCheckValue } from './keyManagement.js';

/**
 * `3DES-ECB(KEK, key)` (16 bytes) and the key's KCV. The key must be an exportable 2-key 3DES key
 * and the KEK a different key of usage `kek`. Throws `HsmKeyError` (KEY_NOT_FOUND, KEY_USAGE,
 * NOT_EXPORTABLE) or `HsmRequestError` when asked to wrap a key under itself.
 */
export function exportKey(ctx: CommandContext, input: ExportKeyInput): WrappedKey {
  const { key, kek } = input;
  if (key.label === kek.label && key.version === kek.version) throw new HsmRequestError('a key cannot be wrapped under itself');
  const info = ctx.keys.info(key.label, key.version);
  if (!info.exportable) throw new HsmKeyError('NOT_EXPORTABLE', `key ${keyRef(key.label, key.version)} may not leave the HSM`);
  if (info.kind !== 'des2') throw new HsmKeyError('KEY_USAGE', `key ${keyRef(key.label, key.version)} is not a DES key`);
  return withKey(ctx, kek, 'kek', (kekValue) =>
    withKey(ctx, key, info.usage, (value) => ({ wrapped: desEcbEncrypt(kekValue, value), kcv: desCheckValue(value) })),
  );
}
