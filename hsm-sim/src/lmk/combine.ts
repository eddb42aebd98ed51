/** Combination of LMK components under dual control. */
import { LmkError } from '../errors.js';
import { LMK_LENGTH, type LmkComponent, checkComponent, lmkCheckValue } from './component.js';

/** Fewest components that form an LMK: no single custodian can know it. */
export const MIN_LMK_COMPONENTS = 2;

/** The combined local master key and its check value. */
export interface Lmk {
  /** 32 bytes; keep in memory only. */
  readonly key: Buffer;
  /** 6 hex digits. */
  readonly kcv: string;
}

/**
 * XORs the components into the LMK. Each component must match its own check value, there must be
 * at least {@link MIN_LMK_COMPONENTS}, and, when `expectedKcv` is given (the value recorded at
 * initialisation), the result must match it. Throws `LmkError` otherwise; the HSM does not start.
 */
export function combineLmk(components: readonly LmkComponent[], expectedKcv?: string): Lmk {
  if (components.length < MIN_LMK_COMPONENTS) {
    throw new LmkError(
      `dual control: ${MIN_LMK_COMPONENTS} or more LMK components are required, got ${components.length}`,
    );
  }
  const key = Buffer.alloc(LMK_LENGTH);
  components.forEach((component, index) => {
    checkComponent(component, index + 1);
    for (let i = 0; i < LMK_LENGTH; i++) key[i]! ^= component.value[i]!;
  });
  const kcv = lmkCheckValue(key);
  if (expectedKcv !== undefined && kcv !== expectedKcv.toUpperCase()) {
    key.fill(0);
    throw new LmkError(
      `the combined LMK (check value ${kcv}) is not the one this HSM was initialised with (${expectedKcv.toUpperCase()})`,
    );
  }
  return { key, kcv };
}
