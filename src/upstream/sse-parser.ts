/**
 * Incremental server-sent events parser (WHATWG "event stream interpretation", minus id/retry which no
 * LLM upstream uses). Chunks may split lines, CRLF pairs and UTF-8 sequences anywhere.
 */
import { GatewayError } from '../errors/gateway-error.ts';

export interface SseEvent {
  /** The `event:` field; undefined when the event had none (OpenAI never sends one). */
  event: string | undefined;
  /** The `data:` lines joined with "\n". */
  data: string;
}

const LINE_END = /\r\n|\r|\n/g;

/** Default bound on one event: far above any LLM stream event, far below what would hurt the process. */
export const DEFAULT_MAX_EVENT_CHARS = 8 * 1024 * 1024;

export class SseParser {
  readonly #decoder = new TextDecoder('utf-8');
  readonly #maxChars: number;
  #buffer = '';
  #event: string | undefined = undefined;
  #data: string[] = [];
  #dataChars = 0;
  #sawData = false;

  /** `maxEventChars` bounds one event and any line still waiting for its end; past it push() throws. */
  constructor(maxEventChars = DEFAULT_MAX_EVENT_CHARS) {
    this.#maxChars = maxEventChars;
  }

  push(chunk: Buffer | string): SseEvent[] {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    const events = this.#drain(false);
    // An upstream that never sends a newline (or one endless event) must not grow memory without limit.
    if (this.#buffer.length + this.#dataChars > this.#maxChars) {
      throw new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message: `The provider sent a stream event larger than ${this.#maxChars} characters.` });
    }
    return events;
  }

  /**
   * Flushes at end of input. Unlike the WHATWG algorithm, a last event that lacks its closing blank line
   * is still dispatched: some upstreams end with `data: [DONE]` and no trailing newline.
   */
  end(): SseEvent[] {
    this.#buffer += this.#decoder.decode();
    const events = this.#drain(true);
    this.#dispatch(events);
    return events;
  }

  #drain(final: boolean): SseEvent[] {
    const events: SseEvent[] = [];
    const buffer = this.#buffer;
    let start = 0;
    LINE_END.lastIndex = 0;
    for (let match = LINE_END.exec(buffer); match !== null; match = LINE_END.exec(buffer)) {
      // A lone trailing "\r" may be the first half of a "\r\n" that the next chunk completes.
      if (!final && match[0] === '\r' && match.index === buffer.length - 1) break;
      this.#line(buffer.slice(start, match.index), events);
      start = LINE_END.lastIndex;
    }
    this.#buffer = buffer.slice(start);
    if (final && this.#buffer !== '') this.#line(this.#buffer, events);
    if (final) this.#buffer = '';
    return events;
  }

  #line(line: string, events: SseEvent[]): void {
    if (line === '') return this.#dispatch(events);
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') {
      this.#data.push(value);
      this.#dataChars += value.length;
      this.#sawData = true;
    }
  }

  #dispatch(events: SseEvent[]): void {
    if (this.#sawData) events.push({ event: this.#event, data: this.#data.join('\n') });
    this.#event = undefined;
    this.#data = [];
    this.#dataChars = 0;
    this.#sawData = false;
  }
}

/** One SSE event as text. Anthropic clients need the `event:` line; OpenAI streams send data only. */
export function sseEncode(data: string, event?: string): string {
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join('');
  return event === undefined ? `${lines}\n` : `event: ${event}\n${lines}\n`;
}
