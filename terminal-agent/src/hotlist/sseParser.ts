/**
 * An incremental parser of a `text/event-stream` body (the WHATWG server-sent-events format):
 * lines end with CRLF, LF or CR; `field: value` lines build an event and an empty line dispatches
 * it; lines starting with `:` are comments (the backend's keepalives). Only `event`, `data` and
 * `id` are kept. Pure: feed it decoded text, get the complete events back.
 */
import { HotlistStreamError } from './hotlistErrors.js';

export interface SseEvent {
  /** `message` when the server sent no `event` field. */
  readonly event: string;
  readonly id: string | undefined;
  /** The `data` lines joined with LF. */
  readonly data: string;
}

/** Longest line kept while waiting for its end: a snapshot of a million cards is ~11 MB of base64. */
export const DEFAULT_MAX_SSE_LINE = 16 * 1024 * 1024;

export class SseParser {
  readonly #maxLine: number;
  #line: string[] = [];
  #lineLength = 0;
  #afterCr = false;
  #event = '';
  #data: string[] = [];
  #id: string | undefined;

  /** `maxLine` in characters, 1..2^31; default {@link DEFAULT_MAX_SSE_LINE}. */
  constructor(maxLine: number = DEFAULT_MAX_SSE_LINE) {
    this.#maxLine = maxLine;
  }

  /** The events completed by `text`. Throws `HotlistStreamError` when a line grows past the limit. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    // A CR at the end of the previous chunk may be the first half of a CRLF.
    if (this.#afterCr && text.startsWith('\n')) start = 1;
    this.#afterCr = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      this.#append(text.slice(start, i));
      const event = this.#endLine();
      if (event !== undefined) events.push(event);
      if (c === 0x0d) {
        if (i + 1 === text.length) this.#afterCr = true;
        else if (text.charCodeAt(i + 1) === 0x0a) i++;
      }
      start = i + 1;
    }
    this.#append(text.slice(start));
    return events;
  }

  #append(part: string): void {
    if (part.length === 0) return;
    this.#lineLength += part.length;
    if (this.#lineLength > this.#maxLine) throw new HotlistStreamError(`a server-sent-events line is longer than ${this.#maxLine} characters`);
    this.#line.push(part);
  }

  #endLine(): SseEvent | undefined {
    const line = this.#line.join('');
    this.#line = [];
    this.#lineLength = 0;
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    const data = this.#data;
    const event = this.#event;
    this.#data = [];
    this.#event = '';
    // The id persists across events (it is the stream's last event id), the rest does not.
    if (data.length === 0) return undefined;
    return { event: event === '' ? 'message' : event, id: this.#id, data: data.join('\n') };
  }
}
