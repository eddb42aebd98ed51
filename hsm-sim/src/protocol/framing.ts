/**
 * Framing of the HSM socket protocol, both ways: a 4-byte big-endian length, then that many bytes
 * of UTF-8 JSON. A stream may split or merge frames; the decoder buffers until each is whole.
 */

/** Largest frame accepted by default (a 50,000-check TAC batch is about 2.3 MB). */
export const DEFAULT_MAX_FRAME = 64 * 1024 * 1024;

/** A frame that is too large or does not hold JSON; the connection must be dropped. */
export class FrameError extends Error {
  override readonly name: string = 'FrameError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One frame carrying `message` as JSON. */
export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}

/** Reassembles frames from stream chunks. */
export class FrameDecoder {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(maxFrame = DEFAULT_MAX_FRAME) {
    this.#max = maxFrame;
  }

  /**
   * Adds a chunk; returns the messages of every frame now complete, in order. Throws
   * `FrameError` on a frame longer than the maximum or a body that is not JSON.
   */
  push(chunk: Buffer): unknown[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const messages: unknown[] = [];
    while (this.#buffered >= 4) {
      const head = this.#peek(4);
      const length = head.readUInt32BE(0);
      if (length > this.#max) throw new FrameError(`frame of ${length} bytes exceeds the ${this.#max}-byte limit`);
      if (this.#buffered < 4 + length) break;
      const frame = this.#take(4 + length);
      try {
        messages.push(JSON.parse(frame.toString('utf8', 4)));
      } catch (err) {
        throw new FrameError('frame does not hold JSON', { cause: err });
      }
    }
    return messages;
  }

  #peek(n: number): Buffer {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first;
    this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0]!;
  }

  #take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const frame = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return frame;
  }
}
