/**
 * Building response APDUs (`data ‖ SW1 SW2`) with one allocation each; handlers return these.
 */

/** `data ‖ SW1 SW2`. The caller guarantees at most 256 data bytes and a 16-bit status word. */
export function respond(data: Uint8Array, sw: number): Buffer {
  const out = Buffer.allocUnsafe(data.length + 2);
  out.set(data, 0);
  out[data.length] = sw >>> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

/** A status word alone (no data). */
export function status(sw: number): Buffer {
  const out = Buffer.allocUnsafe(2);
  out[0] = sw >>> 8;
  out[1] = sw & 0xff;
  return out;
}
