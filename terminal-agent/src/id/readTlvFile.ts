/**
 * Read a transparent EF that holds one BER-TLV or DER object (card info, cardholder, the card
 * certificate), however long: the first chunk by SFI (which makes the EF current), then by
 * offset until the object's length, as its header states, has been read. Bytes after the object
 * (padding of a fixed-size EF) are not returned.
 */
import { MAX_BINARY_OFFSET, readBinaryCommand, tlvObjectSize } from '@citycard/protocols';
import { CardProtocolError } from '../errors.js';
import type { ApduChannel } from '../channel/apduChannel.js';

const CHUNK = 256;

/**
 * The object stored in EF `sfi`. `maxLength` (default 8192) bounds what the header may claim.
 * Throws `CardProtocolError` when the file does not start with a TLV header, claims more than
 * `maxLength` or than offsets can reach, or ends (6282 or an empty read) before the object does;
 * and whatever `channel.send` throws.
 */
export async function readTlvFile(channel: ApduChannel, sfi: number, maxLength = 8192): Promise<Buffer> {
  const first = await channel.send(readBinaryCommand({ sfi }, CHUNK));
  const what = `EF SFI ${sfi.toString(16).toUpperCase().padStart(2, '0')}`;
  let total: number | undefined;
  try {
    total = tlvObjectSize(first.data);
  } catch (err) {
    throw new CardProtocolError(`${what} does not start with a BER-TLV header`, undefined, { cause: err });
  }
  if (total === undefined) throw new CardProtocolError(`${what} is too short to hold a BER-TLV object`);
  if (total > maxLength || total > MAX_BINARY_OFFSET + 1) {
    throw new CardProtocolError(`${what} claims an object of ${total} bytes, more than ${maxLength}`);
  }
  if (first.data.length >= total) return Buffer.from(first.data.subarray(0, total));
  const chunks: Buffer[] = [first.data];
  let read = first.data.length;
  let ended = first.endOfFile;
  while (read < total) {
    if (ended) throw new CardProtocolError(`${what} ends after ${read} of the ${total} bytes its object claims`);
    // Le is exactly what remains, so the last chunk ends with 9000, not 6282.
    const chunk = await channel.send(readBinaryCommand({ offset: read }, Math.min(CHUNK, total - read)));
    if (chunk.data.length === 0) {
      throw new CardProtocolError(`${what} ends after ${read} of the ${total} bytes its object claims`);
    }
    chunks.push(chunk.data);
    read += chunk.data.length;
    ended = chunk.endOfFile;
  }
  return Buffer.concat(chunks);
}
