/**
 * vpcd framing (card interface spec §1), both directions:
 *
 * ```
 * frame: length (2, big-endian) ‖ payload (length bytes)
 * ```
 * TCP may split a frame or merge several into one chunk, so the decoder buffers until each frame
 * is whole. Its buffer is bounded: a declared length above `maxPayload` is refused before any
 * allocation, because a short command APDU is at most 261 bytes and anything longer means the
 * stream is out of step.
 */
import { ProtocolError } from '@citycard/protocols';

/** Bytes of the length prefix. */
export const VPCD_LENGTH_BYTES = 2;
/** Largest payload vpcd sends a card: a case 4 short APDU, `CLA INS P1 P2 Lc data(255) Le`. */
export const MAX_VPCD_COMMAND_PAYLOAD = 4 + 1 + 255 + 1;

/** The byte stream from or to vpcd is not valid framing; the connection must be dropped. */
export class VpcdFrameError extends ProtocolError {
  override readonly name: string = 'VpcdFrameError';
}

/** `length ‖ payload` as one buffer (so it can go out in one socket write). Throws `RangeError` above 65535 bytes. */
export function encodeVpcdFrame(payload: Uint8Array): Buffer {
  if (payload.length > 0xffff) throw new RangeError(`vpcd payload of ${payload.length} bytes exceeds 65535`);
  const frame = Buffer.allocUnsafe(VPCD_LENGTH_BYTES + payload.length);
  frame.writeUInt16BE(payload.length, 0);
  frame.set(payload, VPCD_LENGTH_BYTES);
  return frame;
}

/**
 * Incremental decoder for one connection. After it throws, its state is undefined: discard it
 * together with the connection.
 */
export class VpcdFrameDecoder {
  readonly maxPayload: number;
  #pending: Buffer = Buffer.alloc(0);

  /** `maxPayload`: 1..65535, default `MAX_VPCD_COMMAND_PAYLOAD` (261). Throws `RangeError` outside. */
  constructor(maxPayload: number = MAX_VPCD_COMMAND_PAYLOAD) {
    if (!Number.isInteger(maxPayload) || maxPayload < 1 || maxPayload > 0xffff) {
      throw new RangeError(`maxPayload must be 1..65535, got ${maxPayload}`);
    }
    this.maxPayload = maxPayload;
  }

  /** Bytes received but not yet part of a whole frame (0 .. 2 + maxPayload - 1). */
  get pendingBytes(): number {
    return this.#pending.length;
  }

  /**
   * Add a chunk and return the payloads of every frame it completes, in order (possibly none).
   * Throws `VpcdFrameError` when a frame declares length 0 or more than `maxPayload`.
   */
  push(chunk: Uint8Array): Buffer[] {
    let buf = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const frames: Buffer[] = [];
    while (buf.length >= VPCD_LENGTH_BYTES) {
      const length = buf.readUInt16BE(0);
      if (length === 0 || length > this.maxPayload) {
        throw new VpcdFrameError(`vpcd frame declares ${length} bytes; expected 1..${this.maxPayload}`);
      }
      const end = VPCD_LENGTH_BYTES + length;
      if (buf.length < end) break;
      // Copy so a returned payload never aliases the next chunk's storage.
      frames.push(Buffer.from(buf.subarray(VPCD_LENGTH_BYTES, end)));
      buf = buf.subarray(end);
    }
    this.#pending = Buffer.from(buf);
    return frames;
  }
}
