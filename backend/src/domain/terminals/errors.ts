/**
 * Errors of the terminals area; each has a stable `code` the HTTP layer sends with its message.
 */

export class MerchantNotFoundError extends Error {
  override readonly name = 'MerchantNotFoundError';
  readonly code = 'MERCHANT_NOT_FOUND';
  constructor(merchantId: string) {
    super(`no merchant ${merchantId}`);
  }
}

export class TerminalNotFoundError extends Error {
  override readonly name = 'TerminalNotFoundError';
  readonly code = 'TERMINAL_NOT_FOUND';
  constructor(terminalNumber: string) {
    super(`no terminal ${terminalNumber}`);
  }
}

export class TerminalExistsError extends Error {
  override readonly name = 'TerminalExistsError';
  readonly code = 'TERMINAL_EXISTS';
  constructor(terminalNumber: string) {
    super(`terminal ${terminalNumber} is already registered`);
  }
}

export class PsamExistsError extends Error {
  override readonly name = 'PsamExistsError';
  readonly code = 'PSAM_EXISTS';
  constructor(serial: string) {
    super(`PSAM ${serial} is already registered`);
  }
}

/** A terminal credential that is malformed, unknown, wrong or belongs to a disabled terminal; the message never says which. */
export class TerminalCredentialError extends Error {
  override readonly name = 'TerminalCredentialError';
  readonly code = 'UNAUTHENTICATED';
  constructor() {
    super('send Authorization: Bearer <terminal credential> of an enabled terminal');
  }
}
