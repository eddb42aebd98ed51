/**
 * HSM errors, by cause. Every error a client may see carries a stable `code` that travels on the
 * wire, so `HsmClient` rebuilds the same class on its side (see {@link hsmErrorFromWire}).
 * Messages never contain key material, PINs or tokens.
 */

/** Codes a command can fail with; the wire carries them as strings. */
export type HsmErrorCode =
  | 'AUTH_FAILED'
  | 'FORBIDDEN'
  | 'BAD_REQUEST'
  | 'KEY_NOT_FOUND'
  | 'KEY_EXISTS'
  | 'KCV_MISMATCH'
  | 'KEY_USAGE'
  | 'NOT_EXPORTABLE'
  | 'SESSION_NOT_FOUND'
  | 'SESSION_STATE'
  | 'CRYPTOGRAM_INVALID'
  | 'CLIENT_EXISTS'
  | 'CLIENT_NOT_FOUND'
  | 'NOT_CONFIGURED'
  | 'INTERNAL';

/** Base class of the errors a command answers with. */
export class HsmError extends Error {
  override readonly name: string = 'HsmError';
  readonly code: HsmErrorCode;
  constructor(code: HsmErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A client that could not prove its credential (unknown name, wrong token, bad handshake). */
export class HsmAuthError extends HsmError {
  override readonly name: string = 'HsmAuthError';
  constructor(message = 'authentication failed', options?: { cause?: unknown }) {
    super('AUTH_FAILED', message, options);
  }
}

/** An authenticated client calling a command outside its role. */
export class HsmForbiddenError extends HsmError {
  override readonly name: string = 'HsmForbiddenError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('FORBIDDEN', message, options);
  }
}

/** A request whose parameters are malformed or out of range. */
export class HsmRequestError extends HsmError {
  override readonly name: string = 'HsmRequestError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_REQUEST', message, options);
  }
}

/** A key that is missing, already present, of the wrong usage, not exportable, or fails its KCV. */
export class HsmKeyError extends HsmError {
  override readonly name: string = 'HsmKeyError';
  constructor(
    code: 'KEY_NOT_FOUND' | 'KEY_EXISTS' | 'KCV_MISMATCH' | 'KEY_USAGE' | 'NOT_EXPORTABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A personalization session that is unknown, expired, of another client, or used out of order. */
export class HsmSessionError extends HsmError {
  override readonly name: string = 'HsmSessionError';
  constructor(code: 'SESSION_NOT_FOUND' | 'SESSION_STATE' | 'CRYPTOGRAM_INVALID', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Client management: a name that is taken or unknown. */
export class HsmClientRegistryError extends HsmError {
  override readonly name: string = 'HsmClientRegistryError';
  constructor(code: 'CLIENT_EXISTS' | 'CLIENT_NOT_FOUND', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A feature the running HSM was not configured for (for example no PIN mailer). */
export class HsmConfigurationError extends HsmError {
  override readonly name: string = 'HsmConfigurationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_CONFIGURED', message, options);
  }
}

/** Anything unexpected inside the HSM; the wire carries only a generic message. */
export class HsmInternalError extends HsmError {
  override readonly name: string = 'HsmInternalError';
  constructor(message = 'internal HSM error', options?: { cause?: unknown }) {
    super('INTERNAL', message, options);
  }
}

/**
 * Local master key dual control: a missing component, a component that does not match its key
 * check value, or a combined LMK that is not the one recorded at initialisation. The HSM refuses to
 * start. Never sent on the wire.
 */
export class LmkError extends Error {
  override readonly name: string = 'LmkError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Data at rest that fails authentication (tampered key record, broken audit chain) or a bad store. */
export class HsmStoreError extends Error {
  override readonly name: string = 'HsmStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A listen address that is neither a unix socket nor a loopback TCP address. */
export class BindAddressError extends Error {
  override readonly name: string = 'BindAddressError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Client side: the connection to the HSM failed, closed, timed out, or carried a malformed frame. */
export class HsmTransportError extends Error {
  override readonly name: string = 'HsmTransportError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const KEY_CODES = new Set<HsmErrorCode>(['KEY_NOT_FOUND', 'KEY_EXISTS', 'KCV_MISMATCH', 'KEY_USAGE', 'NOT_EXPORTABLE']);
const SESSION_CODES = new Set<HsmErrorCode>(['SESSION_NOT_FOUND', 'SESSION_STATE', 'CRYPTOGRAM_INVALID']);

/** Rebuilds the typed error of a wire `{ code, message }`; an unknown code becomes `HsmInternalError`. */
export function hsmErrorFromWire(code: string, message: string): HsmError {
  const c = code as HsmErrorCode;
  if (c === 'AUTH_FAILED') return new HsmAuthError(message);
  if (c === 'FORBIDDEN') return new HsmForbiddenError(message);
  if (c === 'BAD_REQUEST') return new HsmRequestError(message);
  if (c === 'NOT_CONFIGURED') return new HsmConfigurationError(message);
  if (c === 'CLIENT_EXISTS' || c === 'CLIENT_NOT_FOUND') return new HsmClientRegistryError(c, message);
  if (KEY_CODES.has(c)) return new HsmKeyError(c as 'KEY_NOT_FOUND', message);
  if (SESSION_CODES.has(c)) return new HsmSessionError(c as 'SESSION_NOT_FOUND', message);
  return new HsmInternalError(message);
}
