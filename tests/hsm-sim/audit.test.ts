import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diversifyKey, fromHex, keyCheckValue, toHex } from '@citycard/protocols';
import { openHsm } from '../../hsm-sim/src/core/openHsm.js';
import { HSM_DB_FILE } from '../../hsm-sim/src/keystore/database.js';
import { testLmkComponents } from '../../hsm-sim/src/lmk/testComponents.js';
import { CARD_NUMBER, DLK, DPK, DTK, LOAD_CHECK, PURCHASE_CHECK, TEST_MASTER_KEYS, type TestHsm, makeTestHsm } from './fixtures.js';
import { CardSession } from './smCard.js';

const KEK = fromHex('0F1E2D3C4B5A69788796A5B4C3D2E1F0');
const CSN = fromHex('CAFE000000000002');
const RC = fromHex('B0B1B2B3B4B5B6B7');

describe('audit log', () => {
  let hsm: TestHsm;
  let token: string;
  const sessionKeys: Buffer[] = [];
  beforeAll(async () => {
    hsm = makeTestHsm();
    const admin = hsm.as('admin');
    await admin.importKey({ label: 'KEK', version: 1, usage: 'kek', components: [{ value: KEK, kcv: toHex(keyCheckValue(KEK)) }] });
    await admin.exportKey({ key: { label: 'MPK', version: 1 }, kek: { label: 'KEK', version: 1 } });
    token = (await admin.addClient({ name: 'station-1', role: 'bureau' })).token;
    await hsm.as('load').verifyLoadMac1AndIssueMac2(LOAD_CHECK);
    await hsm.as('clearing').verifyPurchaseTacs([PURCHASE_CHECK, PURCHASE_CHECK]);
    await hsm.as('clearing').listKeys().catch(() => undefined);
    const bureau = hsm.as('bureau');
    const { session, hostRandom } = await bureau.startPersonalization({ target: { kind: 'card', cardNumber: CARD_NUMBER } });
    const card = new CardSession(fromHex(TEST_MASTER_KEYS.MTRK), CSN, RC, hostRandom);
    sessionKeys.push(card.kt, card.sEnc, card.sMac);
    await bureau.openPersonalization({ session, csn: CSN, cardRandom: RC, cardCryptogram: card.cardCryptogram() });
    for (const keyId of [1, 2, 3, 4]) await bureau.wrapPutKey({ session, keyId, keyVersion: 1 });
    await bureau.wrapStorePins({ session });
    await bureau.wrapEndPersonalization({ session });
  });
  afterAll(() => hsm.dispose());

  it('records every command with time, client, command, key references, subject and outcome', () => {
    const entries = hsm.core.audit.entries();
    const commands = entries.map((e) => e.command);
    expect(commands).toEqual(
      expect.arrayContaining(['init', 'importKey', 'createCityCa', 'exportKey', 'addClient', 'verifyLoadMac1AndIssueMac2', 'verifyPurchaseTacs', 'listKeys', 'wrapPutKey', 'wrapStorePins', 'wrapEndPersonalization']),
    );
    expect(entries.find((e) => e.command === 'exportKey')).toMatchObject({ client: 'admin', keys: ['MPK:01', 'KEK:01'], outcome: 'ok', time: '2026-11-23T09:30:00.000Z' });
    expect(entries.find((e) => e.command === 'listKeys')).toMatchObject({ client: 'clearing', outcome: 'refused' });
    expect(entries.filter((e) => e.command === 'wrapPutKey').map((e) => e.keys[0])).toEqual(['MPK:01', 'MLK:01', 'MTK:01', 'MAMK:01']);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
  });

  it('holds no key material, PIN or token', () => {
    const text = JSON.stringify(hsm.core.audit.entries()).toUpperCase();
    const secrets = [
      ...Object.values(TEST_MASTER_KEYS),
      toHex(KEK),
      toHex(DPK),
      toHex(DLK),
      toHex(DTK),
      toHex(diversifyKey(fromHex(TEST_MASTER_KEYS.MAMK), CARD_NUMBER)),
      ...sessionKeys.map((k) => toHex(k)),
      '313233343536FFFF',
      '3132333435363738',
      token.toUpperCase(),
      token.split('.')[1]!.toUpperCase(),
    ];
    for (const secret of secrets) {
      expect(text.includes(secret), secret).toBe(false);
      expect(text.includes(secret.slice(0, 16)), `${secret} (first half)`).toBe(false);
    }
    expect(text).not.toMatch(/PIN \d|123456/);
    // The search works: public facts are there.
    expect(text.includes('MPK:01')).toBe(true);
  });

  it('refuses UPDATE and DELETE at the SQLite level', () => {
    const db = new Database(join(hsm.dataDir, HSM_DB_FILE));
    try {
      expect(() => db.prepare("UPDATE audit SET outcome = 'ok' WHERE command = 'listKeys'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit WHERE seq = 1').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('chains entries: an edit or a deletion behind SQLite triggers is detected', () => {
    const count = hsm.core.audit.verify();
    expect(count).toBe(hsm.core.audit.entries().length);
    hsm.core.close();
    const db = new Database(join(hsm.dataDir, HSM_DB_FILE));
    db.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
    db.prepare("UPDATE audit SET outcome = 'ok' WHERE command = 'listKeys'").run();
    db.close();
    let core = openHsm({ dataDir: hsm.dataDir, components: testLmkComponents() });
    const edited = core.audit.entries().find((e) => e.command === 'listKeys')!.seq;
    expect(() => core.audit.verify()).toThrow(`audit log: entry ${edited} does not match its chain value`);
    core.close();

    // Opening the store put the triggers back: the attacker drops them again.
    const again = new Database(join(hsm.dataDir, HSM_DB_FILE));
    again.exec('DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;');
    again.prepare("UPDATE audit SET outcome = 'refused' WHERE command = 'listKeys'").run();
    again.prepare('DELETE FROM audit WHERE seq = 3').run();
    again.close();
    core = openHsm({ dataDir: hsm.dataDir, components: testLmkComponents() });
    expect(() => core.audit.verify()).toThrow('audit log: entry 3 is missing');
    core.close();
  });
});

describe('audit log shared by two processes', () => {
  it('keeps one chain when two connections append in turn (server and CLI on the same store)', async () => {
    const hsm = makeTestHsm();
    try {
      const other = openHsm({ dataDir: hsm.dataDir, components: testLmkComponents() });
      try {
        for (let i = 0; i < 5; i++) {
          await hsm.as('terminal').ping();
          other.note('operator', 'probe', { detail: `turn ${i}` });
        }
        expect(other.audit.verify()).toBe(hsm.core.audit.verify());
        const seqs = hsm.core.audit.entries().map((e) => e.seq);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      } finally {
        other.close();
      }
    } finally {
      hsm.dispose();
    }
  });
});
