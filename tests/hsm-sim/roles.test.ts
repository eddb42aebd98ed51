import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Role } from '../../hsm-sim/src/auth/roles.js';
import type { KeyCustodian } from '../../hsm-sim/src/custodian.js';
import { COMMAND_TABLE } from '../../hsm-sim/src/core/commandTable.js';
import { HsmForbiddenError } from '../../hsm-sim/src/errors.js';
import { CARD_NUMBER, LOAD_CHECK, PURCHASE_CHECK, type TestHsm, makeTestHsm } from './fixtures.js';

/** One representative call per family, with the roles that may make it. */
const CALLS: { name: string; allowed: readonly Role[]; call: (c: KeyCustodian) => Promise<unknown> }[] = [
  { name: 'verifyPurchaseTac', allowed: ['clearing'], call: (c) => c.verifyPurchaseTac(PURCHASE_CHECK) },
  { name: 'verifyPurchaseTacs', allowed: ['clearing'], call: (c) => c.verifyPurchaseTacs([PURCHASE_CHECK]) },
  { name: 'verifyLoadMac1AndIssueMac2', allowed: ['load'], call: (c) => c.verifyLoadMac1AndIssueMac2(LOAD_CHECK) },
  { name: 'generateKey', allowed: ['admin'], call: (c) => c.generateKey({ label: 'ROLE-TEST', version: 1, usage: 'kek' }) },
  { name: 'listKeys', allowed: ['admin'], call: (c) => c.listKeys() },
  { name: 'addClient', allowed: ['admin'], call: (c) => c.addClient({ name: 'newcomer', role: 'terminal' }) },
  { name: 'diversifyCardKeys', allowed: ['admin', 'bureau'], call: (c) => c.diversifyCardKeys({ cardNumber: CARD_NUMBER, keyVersion: 1 }) },
  { name: 'startPersonalization', allowed: ['bureau'], call: (c) => c.startPersonalization({ target: { kind: 'psam' } }) },
  { name: 'ping', allowed: ['admin', 'bureau', 'load', 'clearing', 'terminal'], call: (c) => c.ping() },
];
const ROLES: readonly Role[] = ['admin', 'bureau', 'load', 'clearing', 'terminal'];

describe('roles: least privilege', () => {
  let hsm: TestHsm;
  beforeAll(() => {
    hsm = makeTestHsm();
  });
  afterAll(() => hsm.dispose());

  for (const { name, allowed, call } of CALLS) {
    for (const role of ROLES) {
      const ok = allowed.includes(role);
      it(`${role} ${ok ? 'may' : 'may not'} call ${name}`, async () => {
        const client = hsm.as(role, `${role}-client`);
        if (ok) {
          await expect(call(client)).resolves.toBeDefined();
          return;
        }
        const error = await call(client).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(HsmForbiddenError);
        expect((error as Error).message).toBe(`role ${role} may not call ${name}`);
        expect(hsm.core.audit.entries().at(-1)).toMatchObject({ client: `${role}-client`, command: name, outcome: 'refused', detail: `role ${role}` });
      });
    }
  }

  it('gives the terminal role nothing key-bearing', () => {
    const terminal = Object.entries(COMMAND_TABLE)
      .filter(([, spec]) => spec.roles.includes('terminal'))
      .map(([name]) => name)
      .sort();
    expect(terminal).toEqual(['caCertificate', 'ping']);
  });

  it('keeps transaction cryptograms away from admin', () => {
    for (const name of ['verifyPurchaseTac', 'verifyPurchaseTacs', 'verifyLoadMac1AndIssueMac2', 'signCardCertificate', 'wrapPutKey'] as const) {
      expect(COMMAND_TABLE[name].roles).not.toContain('admin');
    }
  });
});
