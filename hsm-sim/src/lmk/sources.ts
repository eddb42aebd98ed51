/**
 * Where the custodians' LMK components come from when the HSM starts: each is a source spec
 * `KCV@file:PATH` (a file holding the 64 hex digits) or `KCV@env:NAME` (an environment variable),
 * so every component is entered separately with the check value its custodian wrote beside it.
 */
import { readFileSync } from 'node:fs';
import { LmkError } from '../errors.js';
import { type LmkComponent, parseLmkComponent } from './component.js';

/** A parsed source spec; holds no secret. */
export interface LmkComponentSource {
  readonly kcv: string;
  readonly kind: 'file' | 'env';
  /** File path or variable name. */
  readonly location: string;
}

/** Parses `KCV@file:PATH` or `KCV@env:NAME`. Throws `LmkError` on any other shape. */
export function parseLmkSource(spec: string): LmkComponentSource {
  const match = /^([0-9a-fA-F]{6})@(file|env):(.+)$/.exec(spec);
  if (match === null) throw new LmkError(`LMK component source must be KCV@file:PATH or KCV@env:NAME, got "${spec}"`);
  return { kcv: match[1]!.toUpperCase(), kind: match[2] as 'file' | 'env', location: match[3]! };
}

/**
 * Reads and checks one component. Throws `LmkError` when the file or variable is missing or the
 * value does not match its check value (`position` is 1-based, used in messages only).
 */
export function readLmkComponent(
  source: LmkComponentSource,
  position: number,
  env: NodeJS.ProcessEnv = process.env,
): LmkComponent {
  let text: string | undefined;
  if (source.kind === 'env') {
    text = env[source.location];
    if (text === undefined || text === '') throw new LmkError(`LMK component ${position}: variable ${source.location} is not set`);
  } else {
    try {
      text = readFileSync(source.location, 'utf8');
    } catch (err) {
      throw new LmkError(`LMK component ${position}: cannot read ${source.location}`, { cause: err });
    }
  }
  return parseLmkComponent(text.trim(), source.kcv, position);
}

/** Reads every source in order; see {@link readLmkComponent}. */
export function readLmkComponents(specs: readonly string[], env: NodeJS.ProcessEnv = process.env): LmkComponent[] {
  return specs.map((spec, i) => readLmkComponent(parseLmkSource(spec), i + 1, env));
}
