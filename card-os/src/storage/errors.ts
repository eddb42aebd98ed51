/**
 * Errors of the card's persistent storage, typed by cause:
 * - `StorageError`: an I/O failure or misuse of a store (closed, or unusable after a failed commit);
 * - `CorruptStateError`: the state file is damaged in a way no crash can explain;
 * - `PowerLossError`: the (injected) power cut; the store that saw it must be reopened from disk.
 */

export class StorageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The state file cannot be loaded: wrong magic, unsupported version, a bad checksum or a malformed
 * record anywhere but in the last record. Nothing was loaded and the file was not modified.
 */
export class CorruptStateError extends StorageError {
  /**
   * @param path the state file
   * @param offset byte offset (0-based) of the damaged header or record in that file
   * @param reason human-readable cause, without the path
   */
  constructor(
    readonly path: string,
    readonly offset: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`corrupt card state file ${path} at byte ${offset}: ${reason}; the file was left unchanged`, options);
  }
}

/**
 * Power was cut (injected by `FaultyIo`) at write point `writePoint` (1-based) while doing `op`.
 * Whatever reached the disk stays there; the store object must not be used again.
 */
export class PowerLossError extends StorageError {
  constructor(
    readonly writePoint: number,
    readonly op: string,
  ) {
    super(`power lost at write point ${writePoint} (${op})`);
  }
}
