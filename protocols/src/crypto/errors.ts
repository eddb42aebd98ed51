/**
 * Cryptography errors: a cryptogram or a padded block that does not check out. Wrong argument
 * shapes (key length, data not a multiple of the block size) are programming errors and throw
 * `RangeError` instead.
 */

export class CryptoError extends Error {
  override readonly name: string = 'CryptoError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Data that does not end in a valid ISO/IEC 9797-1 padding. */
export class PaddingError extends CryptoError {
  override readonly name: string = 'PaddingError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
