/** Shared fixtures of the HSM suites: a test-profile HSM in a temporary directory, fixed clocks, spec values. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex } from '@citycard/protocols';
import { type ClientIdentity, type Role } from '../../hsm-sim/src/auth/roles.js';
import { LocalHsm } from '../../hsm-sim/src/client/localHsm.js';
import { type HsmCore } from '../../hsm-sim/src/core/hsmCore.js';
import { type HsmOptions, type InitHsmOptions, initHsm } from '../../hsm-sim/src/core/openHsm.js';
import { testLmkComponents } from '../../hsm-sim/src/lmk/testComponents.js';

/** 2026-11-23 09:30:00 UTC, the time of the spec §8.2 worked example. */
export const FIXED_TIME = new Date('2026-11-23T09:30:00.000Z');

/** A clock that stands still until moved. */
export class TestClock {
  now = new Date(FIXED_TIME.getTime());
  readonly read = (): Date => new Date(this.now.getTime());
  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }
}

/** Deterministic "random" bytes: 01 02 03 ... continuing across calls (tests only). */
export function countingRandom(): (length: number) => Buffer {
  let next = 1;
  return (length) => {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      out[i] = next & 0xff;
      next++;
    }
    return out;
  };
}

export interface TestHsm {
  readonly core: HsmCore;
  readonly dir: string;
  readonly dataDir: string;
  readonly clock: TestClock;
  /** A `LocalHsm` acting as `name` with `role`. */
  as(role: Role, name?: string): LocalHsm;
  /** Closes the core and removes the directory. */
  dispose(): void;
}

/** A fresh test-profile HSM (LMK from the test components, spec §7 keys, city CA). */
export function makeTestHsm(options: Partial<Omit<InitHsmOptions, 'dataDir' | 'components'>> & Partial<HsmOptions> = {}): TestHsm {
  const dir = mkdtempSync(join(tmpdir(), 'citycard-hsm-'));
  const dataDir = join(dir, 'hsm');
  const clock = new TestClock();
  const core = initHsm({ profile: 'test', clock: clock.read, ...options, dataDir, components: options.components ?? testLmkComponents() });
  return {
    core,
    dir,
    dataDir,
    clock,
    as: (role, name = role) => new LocalHsm(core, { name, role } satisfies ClientIdentity),
    dispose: () => {
      core.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Card interface §8.2 worked example (test profile, card number 1000000000000001).
export const CARD_NUMBER = fromHex('1000000000000001');
export const TERMINAL = fromHex('000000000001');
export const DATE = fromHex('20261123');
export const TIME = fromHex('093000');
export const DPK = fromHex('C30E7ECB2FD9DFCD3B4BC7DE47BFD57E');
export const DLK = fromHex('6F1186E96A32127373D84967E33308F1');
export const DTK = fromHex('BD1FFE3A509BADFD0B97BAF5C21945EB');
export const PURCHASE_TAC = fromHex('A0F363C7');
export const LOAD_MAC1 = fromHex('1395117E');
export const LOAD_MAC2 = fromHex('DCBB1D14');
export const LOAD_TAC = fromHex('CC3A082D');

/** The §8.2 purchase as a TAC check. */
export const PURCHASE_CHECK = {
  cardNumber: CARD_NUMBER,
  keyVersion: 1,
  amount: 250,
  terminal: TERMINAL,
  ttsn: 0x00000102,
  date: DATE,
  time: TIME,
  tac: PURCHASE_TAC,
} as const;

/** The §8.2 load as a MAC1 check. */
export const LOAD_CHECK = {
  cardNumber: CARD_NUMBER,
  keyVersion: 1,
  random: fromHex('0F1E2D3C'),
  onlineCounter: 2,
  balance: 10000,
  amount: 5000,
  terminal: TERMINAL,
  date: DATE,
  time: TIME,
  mac1: LOAD_MAC1,
} as const;

/** Spec §7 test master keys (hex). */
export const TEST_MASTER_KEYS = {
  MPK: '11223344556677888877665544332211',
  MLK: '2233445566778899AABBCCDDEEFF0011',
  MTK: '33445566778899AABBCCDDEEFF001122',
  MAMK: '445566778899AABBCCDDEEFF00112233',
  MTRK: '5566778899AABBCCDDEEFF0011223344',
} as const;
