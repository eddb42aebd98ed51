/**
 * What every command handler gets besides the parsed command: the card's persistent memory, its
 * file tree, the volatile session and the random source.
 */
import type { CommandApdu } from '@citycard/protocols';
import type { FileSystem } from '../fs/fileSystem.js';
import type { PersistentStore } from '../storage/index.js';
import type { RandomSource } from './random.js';
import type { Session } from './session.js';

export interface CommandContext {
  readonly store: PersistentStore;
  readonly fs: FileSystem;
  readonly session: Session;
  readonly random: RandomSource;
}

/**
 * Handles one ISO command (CLA 00). Returns the response APDU; throws `CardError` for a status
 * word without data (the dispatcher turns it into bytes), never for the good path.
 */
export type CommandHandler = (cmd: CommandApdu, ctx: CommandContext) => Buffer;
