/** The station cannot start work: a credential, the HSM, the reader or the backend is not usable. */
export class StationSetupError extends Error {
  override readonly name = 'StationSetupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
