import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found from this file's place in cli/stack/. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Directory for the stack's record, logs and Redis files: $CITYCARD_HOME when set and non-empty,
 * else `.citycard` in the repository root (gitignored).
 */
export function resolveStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const home = env['CITYCARD_HOME'];
  return home !== undefined && home !== '' ? path.resolve(home) : path.join(REPO_ROOT, '.citycard');
}

export interface StackPaths {
  readonly stateDir: string;
  readonly record: string;
  readonly lock: string;
  readonly pcscdLog: string;
  readonly redisLog: string;
  readonly redisDir: string;
}

/** File locations under a state dir (default: resolveStateDir()). */
export function stackPaths(stateDir: string = resolveStateDir()): StackPaths {
  return {
    stateDir,
    record: path.join(stateDir, 'stack.json'),
    lock: path.join(stateDir, 'stack.lock'),
    pcscdLog: path.join(stateDir, 'pcscd.log'),
    redisLog: path.join(stateDir, 'redis.log'),
    redisDir: path.join(stateDir, 'redis'),
  };
}
