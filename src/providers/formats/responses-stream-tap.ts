import type { SseEvent } from '../../upstream/sse-parser.ts';
import { sseEncode } from '../../upstream/sse-parser.ts';
import { asRecord, isRecord, parseJson } from './json-value.ts';
import { upstreamStreamFailure } from './stream-failure.ts';
import { StreamTranslator } from './stream-translator.ts';
import { usageFromResponses } from './usage.ts';

/** The events that end a Responses stream and carry the whole response (its usage with it). */
const FINAL_EVENTS: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * Watches a Responses API stream from an upstream that speaks it (OpenAI), relayed as it came: reads usage and
 * the final response from the terminal event, and notices an upstream error. Only the terminal and error events
 * are parsed; the deltas pass unread.
 */
export class ResponsesStreamTap extends StreamTranslator {
  #final: Readonly<Record<string, unknown>> | undefined;

  /** The response the stream ended with (response.completed, .incomplete or .failed), once seen. */
  get response(): Readonly<Record<string, unknown>> | undefined {
    return this.#final;
  }

  push(event: SseEvent): string {
    const type = event.event;
    if (type !== undefined && FINAL_EVENTS.has(type)) {
      const response = asRecord(parseJson(event.data)).response;
      if (isRecord(response)) {
        this.#final = response;
        this.usageSoFar = usageFromResponses(response.usage);
      }
      this.done = true;
      if (type === 'response.failed') this.failureSeen = upstreamStreamFailure(isRecord(response) ? response.error : undefined);
    } else if (type === 'error') {
      this.done = true;
      this.failureSeen = upstreamStreamFailure(parseJson(event.data));
    }
    return sseEncode(event.data, type);
  }

  end(): string {
    return '';
  }
}
