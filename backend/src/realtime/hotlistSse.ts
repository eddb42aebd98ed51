/**
 * Server-sent-events framing of hotlist pushes (docs/hotlist.md):
 *
 * ```
 * event: hotlist
 * id: <new version, decimal>
 * data: <signed delta, standard base64>
 * <empty line>
 * ```
 *
 * The `id` lets a reconnecting client send `Last-Event-ID`, which the endpoint treats as the
 * terminal's version and answers first with a catch-up frame from `Hotlist.signedUpdate`.
 */
import { readUintBE } from '@citycard/protocols';
import { HOTLIST_HEADER_LENGTH } from '@citycard/protocols';

/** The SSE frame for one signed hotlist message. Throws `RangeError` for bytes shorter than a header. */
export function hotlistSseFrame(signedMessage: Uint8Array): string {
  if (signedMessage.length < HOTLIST_HEADER_LENGTH) throw new RangeError('not a hotlist message');
  const version = readUintBE(signedMessage, 10, 4);
  return `event: hotlist\nid: ${version}\ndata: ${Buffer.from(signedMessage).toString('base64')}\n\n`;
}

/** A comment frame the endpoint sends every few seconds so proxies keep the stream open. */
export const HOTLIST_SSE_KEEPALIVE = ': keepalive\n\n';
