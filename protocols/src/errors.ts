/**
 * Protocol-level errors: malformed bytes on the wire. Each carries the status word a card answers
 * with when it receives such bytes, so the card OS can turn any of them into a response.
 */

export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A command or response APDU that does not follow ISO/IEC 7816-4 short-length encoding. */
export class ApduFormatError extends ProtocolError {
  override readonly name: string = 'ApduFormatError';
  /** Status word a card answers with (6700 wrong length unless stated otherwise). */
  readonly sw: number;
  constructor(message: string, sw = 0x6700, options?: { cause?: unknown }) {
    super(message, options);
    this.sw = sw;
  }
}

/** Extended-length APDUs (Lc/Le on 2-3 bytes) are not supported by CityCard cards. */
export class ExtendedLengthError extends ApduFormatError {
  override readonly name: string = 'ExtendedLengthError';
  constructor(options?: { cause?: unknown }) {
    super('extended-length APDUs are not supported (short APDUs only)', 0x6700, options);
  }
}

/** BER-TLV that is truncated, overlong, or otherwise not strictly encoded. */
export class TlvError extends ProtocolError {
  override readonly name: string = 'TlvError';
  /** Byte offset in the input where decoding failed. */
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(`${message} at offset ${offset}`, options);
    this.offset = offset;
  }
}
