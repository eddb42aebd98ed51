/**
 * Errors of the city CA: typed by cause, wrapping the underlying error as `cause`.
 */

/** A certificate could not be built or signed (bad CA material, a key the CA cannot certify). */
export class CertificateAuthorityError extends Error {
  override readonly name: string = 'CertificateAuthorityError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The test CA directory holds files that cannot be read back as a CA. */
export class CaDirectoryError extends Error {
  override readonly name: string = 'CaDirectoryError';
  constructor(
    message: string,
    readonly dir: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (CA directory ${dir})`, options);
  }
}
