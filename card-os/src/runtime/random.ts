/**
 * Where the card's random numbers come from (challenges, purse session randoms). Injectable so
 * tests are deterministic; the default is the operating system's CSPRNG.
 */
import { randomBytes } from 'node:crypto';

/** Returns `length` (1 to 256) fresh random bytes. */
export type RandomSource = (length: number) => Buffer;

export const systemRandom: RandomSource = (length) => randomBytes(length);
