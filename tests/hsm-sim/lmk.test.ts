import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHsm } from '../../hsm-sim/src/core/openHsm.js';
import { LmkError } from '../../hsm-sim/src/errors.js';
import { combineLmk } from '../../hsm-sim/src/lmk/combine.js';
import { lmkCheckValue, parseLmkComponent } from '../../hsm-sim/src/lmk/component.js';
import { parseLmkSource, readLmkComponents } from '../../hsm-sim/src/lmk/sources.js';
import { TEST_LMK_COMPONENT_1, TEST_LMK_COMPONENT_2, TEST_LMK_KCV, testLmkComponents } from '../../hsm-sim/src/lmk/testComponents.js';
import { type TestHsm, makeTestHsm } from './fixtures.js';

// A third component with a correct check value of its own: right shape, wrong LMK.
const OTHER_COMPONENT_HEX = 'C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3C3';
const component1 = (): ReturnType<typeof testLmkComponents>[number] => testLmkComponents()[0]!;
const component2 = (): ReturnType<typeof testLmkComponents>[number] => testLmkComponents()[1]!;

describe('LMK components and check values', () => {
  it('gives the recorded check values of the test components and of their XOR', () => {
    expect(lmkCheckValue(Buffer.from(TEST_LMK_COMPONENT_1.hex, 'hex'))).toBe('9F2E31');
    expect(lmkCheckValue(Buffer.from(TEST_LMK_COMPONENT_2.hex, 'hex'))).toBe('48E525');
    expect(combineLmk(testLmkComponents()).kcv).toBe(TEST_LMK_KCV);
    expect(TEST_LMK_KCV).toBe('21EB60');
  });

  it('refuses a single component (dual control)', () => {
    expect(() => combineLmk([component1()])).toThrow(/dual control: 2 or more LMK components are required, got 1/);
  });

  it('refuses a component that does not match its check value, naming it by position only', () => {
    const bad = { ...component2(), kcv: '000000' };
    let error: unknown;
    try {
      combineLmk([component1(), bad]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LmkError);
    expect((error as Error).message).toMatch(/component 2 does not match its check value 000000/);
    expect((error as Error).message).not.toContain(TEST_LMK_COMPONENT_2.hex);
  });

  it('refuses a combined LMK other than the recorded one', () => {
    const other = parseLmkComponent(OTHER_COMPONENT_HEX, lmkCheckValue(Buffer.from(OTHER_COMPONENT_HEX, 'hex')), 2);
    expect(() => combineLmk([component1(), other], TEST_LMK_KCV)).toThrow(/not the one this HSM was initialised with \(21EB60\)/);
  });

  it('parses component sources and reads them from a file and from the environment', () => {
    expect(parseLmkSource('9f2e31@file:/some/where')).toEqual({ kcv: '9F2E31', kind: 'file', location: '/some/where' });
    expect(parseLmkSource('48E525@env:LMK_2')).toEqual({ kcv: '48E525', kind: 'env', location: 'LMK_2' });
    expect(() => parseLmkSource('file:/x')).toThrow(LmkError);
    const dir = mkdtempSync(join(tmpdir(), 'citycard-lmk-'));
    try {
      const file = join(dir, 'c1.hex');
      writeFileSync(file, `${TEST_LMK_COMPONENT_1.hex}\n`);
      const read = readLmkComponents([`${TEST_LMK_COMPONENT_1.kcv}@file:${file}`, `${TEST_LMK_COMPONENT_2.kcv}@env:LMK_2`], {
        LMK_2: TEST_LMK_COMPONENT_2.hex,
      });
      expect(combineLmk(read).kcv).toBe(TEST_LMK_KCV);
      expect(() => readLmkComponents([`${TEST_LMK_COMPONENT_2.kcv}@env:MISSING`], {})).toThrow(/component 1: variable MISSING is not set/);
      expect(() => readLmkComponents([`${TEST_LMK_COMPONENT_2.kcv}@file:${join(dir, 'none')}`])).toThrow(/cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the HSM refuses to start without its LMK (dual control)', () => {
  let hsm: TestHsm;
  beforeAll(() => {
    hsm = makeTestHsm();
    hsm.core.close();
  });
  afterAll(() => hsm.dispose());

  it('starts with both test components', () => {
    const core = openHsm({ dataDir: hsm.dataDir, components: testLmkComponents() });
    expect(core.lmkKcv).toBe(TEST_LMK_KCV);
    core.close();
  });

  it('refuses with one component missing', () => {
    expect(() => openHsm({ dataDir: hsm.dataDir, components: [component1()] })).toThrow(LmkError);
    expect(() => openHsm({ dataDir: hsm.dataDir, components: [] })).toThrow(/got 0/);
  });

  it('refuses a component with a wrong check value', () => {
    expect(() => openHsm({ dataDir: hsm.dataDir, components: [component1(), { ...component2(), kcv: '48E526' }] })).toThrow(
      /component 2 does not match/,
    );
  });

  it('refuses a wrong component even when it matches its own check value', () => {
    const other = { value: Buffer.from(OTHER_COMPONENT_HEX, 'hex'), kcv: lmkCheckValue(Buffer.from(OTHER_COMPONENT_HEX, 'hex')) };
    expect(() => openHsm({ dataDir: hsm.dataDir, components: [component1(), other] })).toThrow(/not the one this HSM was initialised with/);
  });

  it('creates nothing on disk when started on an empty directory with bad components', () => {
    const empty = join(hsm.dir, 'empty');
    expect(() => openHsm({ dataDir: empty, components: [component1()] })).toThrow(LmkError);
    expect(existsSync(empty)).toBe(false);
  });

  it('refuses a directory that was never initialised', () => {
    expect(() => openHsm({ dataDir: join(hsm.dir, 'fresh'), components: testLmkComponents() })).toThrow(/no initialised HSM/);
  });
});
