/**
 * Deterministic randomness for tests: a small seeded PRNG (mulberry32) and a card RandomSource
 * built on it. Not for anything secret.
 */
import type { RandomSource } from '@citycard/card-os';

/** Uniform 32-bit integers from `seed`. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A card random source whose bytes follow from `seed`. */
export function seededRandom(seed: number): RandomSource {
  const next = prng(seed);
  return (length) => {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = next() & 0xff;
    return out;
  };
}
