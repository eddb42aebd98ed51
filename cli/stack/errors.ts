/** Errors of the local stack, one class per cause; all extend StackError. */

export class StackError extends Error {
  override name = 'StackError';
}

/** A required program (pcscd, redis-server, ip) is not installed. */
export class BinaryMissingError extends StackError {
  override name = 'BinaryMissingError';
  constructor(readonly binary: string, readonly hint: string) {
    super(`${binary} not found: ${hint}`);
  }
}

/** Something that is not the expected service holds a port or socket the stack needs. */
export class PortBusyError extends StackError {
  override name = 'PortBusyError';
  constructor(readonly what: string, message: string) {
    super(message);
  }
}

/** A started component exited early or did not become ready within the timeout. */
export class StartFailedError extends StackError {
  override name = 'StartFailedError';
  constructor(readonly component: string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Something we started could not be stopped: a process outlived SIGTERM, or the route stayed. */
export class StopFailedError extends StackError {
  override name = 'StopFailedError';
  constructor(readonly components: readonly string[], message: string) {
    super(message);
  }
}

/** The state record (stack.json) is unreadable, or its lock is held too long. */
export class StateRecordError extends StackError {
  override name = 'StateRecordError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
