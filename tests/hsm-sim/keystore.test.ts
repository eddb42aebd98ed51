import { createCipheriv } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex, xor } from '@citycard/protocols';
import { LocalHsm } from '../../hsm-sim/src/client/localHsm.js';
import { openHsm } from '../../hsm-sim/src/core/openHsm.js';
import { HSM_DB_FILE } from '../../hsm-sim/src/keystore/database.js';
import { TEST_LMK_COMPONENT_1, TEST_LMK_COMPONENT_2, testLmkComponents } from '../../hsm-sim/src/lmk/testComponents.js';
import { TEST_MASTER_KEYS, type TestHsm, makeTestHsm } from './fixtures.js';

/** Independent DES KCV: 3DES-ECB (K1 K2 K1) of a zero block, 3 bytes. */
function kcv(key16: Uint8Array): string {
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key16, key16.subarray(0, 8)]), null);
  cipher.setAutoPadding(false);
  return toHex(cipher.update(Buffer.alloc(8)).subarray(0, 3));
}

const KEK_COMPONENT_1 = fromHex('0123456789ABCDEF0123456789ABCDEF');
const KEK_COMPONENT_2 = fromHex('FEDCBA9876543210FEDCBA9876543211');
const KEK = xor(KEK_COMPONENT_1, KEK_COMPONENT_2);

function allBytes(dir: string): Buffer {
  return Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));
}

describe('keys at rest', () => {
  let hsm: TestHsm;
  let token: string;
  beforeAll(async () => {
    hsm = makeTestHsm();
    const admin = hsm.as('admin');
    await admin.importKey({
      label: 'PSAM-KEK',
      version: 1,
      usage: 'kek',
      components: [
        { value: KEK_COMPONENT_1, kcv: kcv(KEK_COMPONENT_1) },
        { value: KEK_COMPONENT_2, kcv: kcv(KEK_COMPONENT_2) },
      ],
      kcv: kcv(KEK),
    });
    token = (await admin.addClient({ name: 'clearing-1', role: 'clearing' })).token;
    hsm.core.close();
  });
  afterAll(() => hsm.dispose());

  it('are nowhere in the store files in clear, in binary or in hex', () => {
    const bytes = allBytes(hsm.dataDir);
    const text = bytes.toString('latin1').toUpperCase();
    const secrets = [
      ...Object.values(TEST_MASTER_KEYS).map((hex) => fromHex(hex)),
      KEK,
      KEK_COMPONENT_1,
      KEK_COMPONENT_2,
      Buffer.from(TEST_LMK_COMPONENT_1.hex, 'hex'),
      Buffer.from(TEST_LMK_COMPONENT_2.hex, 'hex'),
      xor(Buffer.from(TEST_LMK_COMPONENT_1.hex, 'hex'), Buffer.from(TEST_LMK_COMPONENT_2.hex, 'hex')),
      Buffer.from(token.split('.')[1]!, 'base64url'),
    ];
    for (const secret of secrets) {
      expect(bytes.includes(secret), `binary ${toHex(secret)}`).toBe(false);
      expect(text.includes(toHex(secret)), `hex ${toHex(secret)}`).toBe(false);
      // Half a key is still a key.
      expect(bytes.includes(secret.subarray(0, 8)), `half ${toHex(secret)}`).toBe(false);
    }
    expect(text.includes(token.toUpperCase())).toBe(false);
    // The search itself works: public values are found.
    expect(text.includes(kcv(fromHex(TEST_MASTER_KEYS.MPK)))).toBe(true);
    expect(text.includes('CLEARING-1')).toBe(true);
  });

  it('keeps the KCVs of the imported keys, equal to an independent computation', () => {
    const core = openHsm({ dataDir: hsm.dataDir, components: testLmkComponents() });
    try {
      const byLabel = new Map(core.context.keys.list().map((k) => [k.label, k]));
      for (const [label, hex] of Object.entries(TEST_MASTER_KEYS)) {
        expect(byLabel.get(label)?.kcv, label).toBe(kcv(fromHex(hex)));
      }
      expect(byLabel.get('PSAM-KEK')?.kcv).toBe(kcv(KEK));
      expect(byLabel.get('MTK')).toMatchObject({ version: 1, kind: 'des2', usage: 'purse-master', exportable: false });
      expect(byLabel.get('MPK')).toMatchObject({ exportable: true });
      expect(byLabel.get('CITY-CA')).toMatchObject({ kind: 'rsa', usage: 'ca', exportable: false });
    } finally {
      core.close();
    }
  });

  it('binds each sealed key to its attributes: editing them in the file makes the key unusable', async () => {
    const db = new Database(join(hsm.dataDir, HSM_DB_FILE));
    db.prepare("UPDATE keys SET exportable = 1 WHERE label = 'MTK'").run();
    const mpk = db.prepare("SELECT sealed FROM keys WHERE label = 'MPK'").get() as { sealed: Buffer };
    db.prepare("UPDATE keys SET sealed = ? WHERE label = 'MAMK'").run(mpk.sealed);
    db.close();
    const core = openHsm({ dataDir: hsm.dataDir, components: testLmkComponents() });
    try {
      const admin = new LocalHsm(core, { name: 'admin', role: 'admin' });
      await expect(admin.exportKey({ key: { label: 'MTK', version: 1 }, kek: { label: 'PSAM-KEK', version: 1 } })).rejects.toMatchObject({
        code: 'INTERNAL',
        message: 'a stored record fails authentication',
      });
      await expect(admin.keyCheckValue({ label: 'MAMK', version: 1 })).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(await admin.keyCheckValue({ label: 'MPK', version: 1 })).toBe(kcv(fromHex(TEST_MASTER_KEYS.MPK)));
    } finally {
      core.close();
    }
  });
});
