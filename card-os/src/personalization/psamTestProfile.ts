/**
 * PSAM personalization under the test profile of card interface spec §7 (tests and demos only,
 * never for a real PSAM: these keys are public): a terminal number, the §7 MPK for each key version
 * served (default only 01), the §7 MAMK, TTSN 0 (no MAC1 issued yet) and lifecycle 07, in one
 * commit. It writes the same store keys as the secured personalization of a blank PSAM (see
 * applications/psam/psamStore.ts), so the PSAM application cannot tell the two apart.
 *
 * `psam serve --profile test` calls it on first start only; it refuses a store that already holds
 * the PSAM application, so it can never reset a TTSN:
 *
 * ```ts
 * if (!isPsamPersonalized(store)) personalizePsamTestProfile(store, { terminalNumber: '000000000001' });
 * ```
 */
import { encodeBcd, fromHex } from '@citycard/protocols';
import {
  PSAM_LIFECYCLE_KEY,
  PSAM_MAMK_KEY,
  PSAM_TERMINAL_NUMBER_KEY,
  PSAM_TTSN_KEY,
  TERMINAL_NUMBER_LENGTH,
  encodeTtsn,
  isPsamPersonalized,
  psamMpkKey,
} from '../applications/psam/psamStore.js';
import type { PersistentStore } from '../storage/index.js';
import { StoreTransaction } from '../runtime/transaction.js';
import { AlreadyPersonalizedError, PersonalizationError } from './errors.js';
import { LIFECYCLE_OPERATIONAL } from './idPersonalization.js';

/** The public test keys of spec §7 a test PSAM holds (hex). */
export const PSAM_TEST_PROFILE = {
  mpk: '11223344556677888877665544332211',
  mamk: '445566778899AABBCCDDEEFF00112233',
  keyVersion: 0x01,
  terminalNumber: '000000000001',
} as const;

export interface PsamTestProfileOptions {
  /** 12 decimal digits, stored as 6 BCD bytes (e.g. '000000000001'). */
  readonly terminalNumber: string;
  /** Key versions (1 to 255, each once) that get the §7 MPK; default `[1]`. */
  readonly keyVersions?: readonly number[];
}

/**
 * Personalize the PSAM application of `store` under the test profile, in one commit; returns the
 * 6-byte terminal number. Throws `AlreadyPersonalizedError` when the store already holds the PSAM
 * application (nothing changes), `PersonalizationError` for a terminal number that is not 12
 * digits or key versions that are empty, repeated or outside 1 to 255, and what the store's
 * commit throws (`StorageError`).
 */
export function personalizePsamTestProfile(store: PersistentStore, options: PsamTestProfileOptions): Buffer {
  if (isPsamPersonalized(store)) throw new AlreadyPersonalizedError('PSAM');
  const terminal = terminalNumberBytes(options.terminalNumber);
  const versions = options.keyVersions ?? [PSAM_TEST_PROFILE.keyVersion];
  if (versions.length === 0) throw new PersonalizationError('a PSAM serves at least one key version');
  if (new Set(versions).size !== versions.length) throw new PersonalizationError('key versions must not repeat');
  const tx = new StoreTransaction(store);
  tx.set(PSAM_TERMINAL_NUMBER_KEY, terminal);
  for (const version of versions) {
    let key: string;
    try {
      key = psamMpkKey(version);
    } catch (err) {
      throw new PersonalizationError(`key version ${version} is outside 1 to 255`, { cause: err });
    }
    tx.set(key, fromHex(PSAM_TEST_PROFILE.mpk));
  }
  tx.set(PSAM_MAMK_KEY, fromHex(PSAM_TEST_PROFILE.mamk));
  tx.set(PSAM_TTSN_KEY, encodeTtsn(0));
  tx.set(PSAM_LIFECYCLE_KEY, Buffer.from([LIFECYCLE_OPERATIONAL]));
  tx.commit();
  return Buffer.from(terminal);
}

/** 12 decimal digits as 6 BCD bytes. Throws `PersonalizationError` otherwise. */
export function terminalNumberBytes(digits: string): Buffer {
  if (!/^[0-9]{12}$/.test(digits)) {
    throw new PersonalizationError(`a terminal number is 12 decimal digits, got ${JSON.stringify(digits)}`);
  }
  return encodeBcd(digits, TERMINAL_NUMBER_LENGTH);
}
