import { createCipheriv, createDecipheriv } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '@citycard/protocols';
import { HsmForbiddenError, HsmKeyError } from '../../hsm-sim/src/errors.js';
import { CARD_NUMBER, DLK, DPK, DTK, TEST_MASTER_KEYS, type TestHsm, makeTestHsm } from './fixtures.js';

const KEK = fromHex('0F1E2D3C4B5A69788796A5B4C3D2E1F0');
const PSAM_KEK = { label: 'PSAM-KEK', version: 1 } as const;

/** Independent 2-key 3DES ECB in the test (K1 K2 K1). */
function ede(key16: Uint8Array, encrypt: boolean, data: Uint8Array): Buffer {
  const k = Buffer.concat([key16, key16.subarray(0, 8)]);
  const cipher = encrypt ? createCipheriv('des-ede3-ecb', k, null) : createDecipheriv('des-ede3-ecb', k, null);
  cipher.setAutoPadding(false);
  return cipher.update(data);
}
const kcv = (key: Uint8Array): string => toHex(ede(key, true, Buffer.alloc(8)).subarray(0, 3));
const unwrap = (wrapped: Uint8Array): Buffer => ede(KEK, false, wrapped);

describe('key export, wrapped only', () => {
  let hsm: TestHsm;
  beforeAll(async () => {
    hsm = makeTestHsm();
    await hsm.as('admin').importKey({ ...PSAM_KEK, usage: 'kek', components: [{ value: KEK, kcv: kcv(KEK) }], kcv: kcv(KEK) });
  });
  afterAll(() => hsm.dispose());

  it('exports MPK and MAMK for PSAM loading; unwrapped with the KEK they are the spec keys with their KCVs', async () => {
    for (const label of ['MPK', 'MAMK'] as const) {
      const out = await hsm.as('bureau').exportKey({ key: { label, version: 1 }, kek: PSAM_KEK });
      expect(out.wrapped.length).toBe(16);
      expect(toHex(out.wrapped)).not.toBe(TEST_MASTER_KEYS[label]);
      const clear = unwrap(out.wrapped);
      expect(toHex(clear)).toBe(TEST_MASTER_KEYS[label]);
      expect(out.kcv).toBe(kcv(clear));
    }
  });

  it('never exports MLK, MTK or MTRK', async () => {
    for (const label of ['MLK', 'MTK', 'MTRK']) {
      await expect(hsm.as('admin').exportKey({ key: { label, version: 1 }, kek: PSAM_KEK })).rejects.toMatchObject({
        name: 'HsmKeyError',
        code: 'NOT_EXPORTABLE',
      });
    }
  });

  it('wraps only under a key of usage kek, and never a key under itself', async () => {
    await expect(hsm.as('admin').exportKey({ key: { label: 'MAMK', version: 1 }, kek: { label: 'MPK', version: 1 } })).rejects.toMatchObject({
      code: 'KEY_USAGE',
    });
    await expect(hsm.as('admin').exportKey({ key: { label: 'MPK', version: 1 }, kek: { label: 'MPK', version: 1 } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(hsm.as('admin').exportKey({ key: { label: 'NOPE', version: 1 }, kek: PSAM_KEK })).rejects.toBeInstanceOf(HsmKeyError);
  });

  it('returns the card keys of one card wrapped under the KEK (spec §8.2 DPK, DLK, DTK)', async () => {
    const keys = await hsm.as('bureau').diversifyCardKeys({ cardNumber: CARD_NUMBER, keyVersion: 1, kek: PSAM_KEK });
    expect(toHex(unwrap(keys.DPK.wrapped!))).toBe(toHex(DPK));
    expect(toHex(unwrap(keys.DLK.wrapped!))).toBe(toHex(DLK));
    expect(toHex(unwrap(keys.DTK.wrapped!))).toBe(toHex(DTK));
    expect(keys.DAMK.kcv).toBe(kcv(unwrap(keys.DAMK.wrapped!)));
  });

  it('refuses export to roles other than admin and bureau', async () => {
    for (const role of ['load', 'clearing', 'terminal'] as const) {
      await expect(hsm.as(role).exportKey({ key: { label: 'MPK', version: 1 }, kek: PSAM_KEK })).rejects.toBeInstanceOf(HsmForbiddenError);
    }
  });
});

describe('key generation and import', () => {
  let hsm: TestHsm;
  beforeAll(() => {
    hsm = makeTestHsm();
  });
  afterAll(() => hsm.dispose());

  it('generates a key inside the HSM and answers its KCV; the same id cannot be generated twice', async () => {
    const admin = hsm.as('admin');
    const check = await admin.generateKey({ label: 'FACTORY-KEK', version: 1, usage: 'kek' });
    expect(check).toMatch(/^[0-9A-F]{6}$/);
    expect(await admin.keyCheckValue({ label: 'FACTORY-KEK', version: 1 })).toBe(check);
    await expect(admin.generateKey({ label: 'FACTORY-KEK', version: 1, usage: 'kek' })).rejects.toMatchObject({ code: 'KEY_EXISTS' });
  });

  it('imports a key from two components, each checked against its KCV, and the result against its own', async () => {
    const admin = hsm.as('admin');
    const c1 = fromHex('1111111111111111AAAAAAAAAAAAAAAA');
    const c2 = fromHex('22222222222222225555555555555555');
    const key = fromHex('3333333333333333FFFFFFFFFFFFFFFF');
    await expect(
      admin.importKey({ label: 'MPK', version: 2, usage: 'purse-master', components: [{ value: c1, kcv: kcv(c1) }, { value: c2, kcv: kcv(c1) }] }),
    ).rejects.toMatchObject({ code: 'KCV_MISMATCH', message: 'key component 2 does not match its check value' });
    await expect(
      admin.importKey({ label: 'MPK', version: 2, usage: 'purse-master', components: [{ value: c1, kcv: kcv(c1) }, { value: c2, kcv: kcv(c2) }], kcv: '000000' }),
    ).rejects.toMatchObject({ code: 'KCV_MISMATCH' });
    expect(hsm.core.context.keys.has('MPK', 2)).toBe(false);
    const result = await admin.importKey({
      label: 'MPK',
      version: 2,
      usage: 'purse-master',
      exportable: true,
      components: [{ value: c1, kcv: kcv(c1) }, { value: c2, kcv: kcv(c2) }],
      kcv: kcv(key),
    });
    expect(result).toBe(kcv(key));
  });
});
