/**
 * Keys of the test profile (card interface §7 and docs/personalization.md §1): public values for
 * tests and demos only, never for real cards.
 */
import { fromHex } from '@citycard/protocols';
import type { ImportKeyInput } from '../custodian.js';
import { desCheckValue } from '../commands/keyManagement.js';
import { MAMK, MLK, MPK, MTK, MTRK } from '../keystore/keyLabels.js';

export const TEST_MPK = '11223344556677888877665544332211';
export const TEST_MLK = '2233445566778899AABBCCDDEEFF0011';
export const TEST_MTK = '33445566778899AABBCCDDEEFF001122';
export const TEST_MAMK = '445566778899AABBCCDDEEFF00112233';
export const TEST_MTRK = '5566778899AABBCCDDEEFF0011223344';
/** Key version of every test key. */
export const TEST_KEY_VERSION = 1;

function single(label: string, hex: string, usage: ImportKeyInput['usage'], exportable: boolean): ImportKeyInput {
  const value = fromHex(hex);
  const kcv = desCheckValue(value);
  return { label, version: TEST_KEY_VERSION, usage, exportable, components: [{ value, kcv }], kcv };
}

/**
 * The imports `init --profile test` performs. MPK and MAMK are exportable (PSAM loading); MLK,
 * MTK and MTRK never leave the HSM.
 */
export function testProfileKeys(): ImportKeyInput[] {
  return [
    single(MPK, TEST_MPK, 'purse-master', true),
    single(MLK, TEST_MLK, 'purse-master', false),
    single(MTK, TEST_MTK, 'purse-master', false),
    single(MAMK, TEST_MAMK, 'purse-master', true),
    single(MTRK, TEST_MTRK, 'transport-master', false),
  ];
}
