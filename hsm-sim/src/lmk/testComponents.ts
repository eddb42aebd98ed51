/**
 * The fixed LMK components of the test profile (tests and demos only, never for real keys). They
 * are public, so anything stored under them is public too.
 */
import { type LmkComponent } from './component.js';

/** Test component 1 and its check value. */
export const TEST_LMK_COMPONENT_1 = {
  hex: '0123456789ABCDEFFEDCBA98765432100011223344556677C0FFEE1234567890',
  kcv: '9F2E31',
} as const;

/** Test component 2 and its check value. */
export const TEST_LMK_COMPONENT_2 = {
  hex: '5A5A5A5A0F0F0F0FA5A5A5A5F0F0F0F01122334455667788123456789ABCDEF0',
  kcv: '48E525',
} as const;

/** Check value of the combined test LMK. */
export const TEST_LMK_KCV = '21EB60';

/** The two test components, ready for `combineLmk`. */
export function testLmkComponents(): LmkComponent[] {
  return [TEST_LMK_COMPONENT_1, TEST_LMK_COMPONENT_2].map((c) => ({ value: Buffer.from(c.hex, 'hex'), kcv: c.kcv }));
}
