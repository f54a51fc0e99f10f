import type { Readable, Writable } from 'node:stream';
import type { TokenUsage } from '../domain/token-usage.ts';
import type { UsageOutcome } from '../domain/usage-record.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { classifyUpstreamError } from './classify-upstream-error.ts';
import { SseParser, type SseEvent } from './sse-parser.ts';

/**
 * What the relay needs of a stream converter (a format translator, or a tap that only watches): push one
 * upstream event and get the text to write; end() at upstream EOF; usage and how the stream ended.
 */
export interface SseConverter {
  push(event: SseEvent): string;
  end(): string;
  readonly usage: TokenUsage;
  /** The last event was seen or written (a normal end or an error). */
  readonly finished: boolean;
  /** Set when the stream ended with an error event. */
  readonly failure: { readonly code: string } | undefined;
  /** A Responses stream's final Response object, once its last event passed (kept by the gateway for store). */
  readonly response?: Readonly<Record<string, unknown>> | undefined;
  /** The stream's own last event for a failure after its 200, when it counts its events (Responses sequence numbers). */
  readonly errorEvent?: (err: GatewayError) => string;
}

export interface RelayOptions {
  readonly converter: SseConverter;
  /** Forward the upstream's bytes as they come; the converter only watches. */
  readonly raw: boolean;
  /** The last event of a stream that fails after its 200, in the caller's dialect. */
  readonly errorEvent: (err: GatewayError) => string;
  /** Upstream name for error messages. */
  readonly upstream: string;
  /** The request's signal: its reason says why an aborted stream ended. */
  readonly signal: AbortSignal;
  /** performance.now() when the upstream call started, for time to first byte. */
  readonly startedAt: number;
  /** Largest single event (or unterminated line) accepted from the upstream. */
  readonly maxEventChars: number;
}

export interface RelayResult {
  readonly usage: TokenUsage;
  readonly outcome: UsageOutcome;
  readonly errorCode: string | null;
  readonly ttftMs: number | null;
}

/**
 * Moves an upstream event stream to the caller: raw bytes when nothing must change, otherwise event by event
 * through the converter. Honours backpressure, turns upstream failures into a final error event, and reports
 * usage and outcome once the stream is over. Knows no wire format: the converter and errorEvent do.
 */
export function relayStream(source: Readable, sink: Writable, options: RelayOptions): Promise<RelayResult> {
  const { converter, raw } = options;
  const parser = new SseParser(options.maxEventChars);
  let ttftMs: number | null = null;

  return new Promise<RelayResult>((resolve) => {
    let settled = false;
    const finish = (outcome: UsageOutcome, errorCode: string | null, tail: string): void => {
      if (settled) return;
      settled = true;
      if (tail !== '' && !sink.destroyed) sink.write(tail);
      if (!sink.destroyed) sink.end();
      resolve({ usage: converter.usage, outcome, errorCode, ttftMs });
    };
    const fail = (err: GatewayError): void => {
      if (err.code === 'SB_CLIENT_DISCONNECTED') return finish('client_aborted', err.code, '');
      finish('error', err.code, options.errorEvent(err));
    };
    const write = (text: string | Buffer): void => {
      if (text.length === 0 || sink.destroyed) return;
      if (!sink.write(text)) {
        source.pause();
        sink.once('drain', () => source.resume());
      }
    };
    source.on('data', (chunk: Buffer) => {
      ttftMs ??= performance.now() - options.startedAt;
      let events: SseEvent[];
      try {
        events = parser.push(chunk);
      } catch (err) {
        source.destroy();
        return fail(err as GatewayError);
      }
      if (raw) write(chunk);
      let out = '';
      for (const event of events) out += converter.push(event);
      if (!raw) write(out);
    });
    source.on('end', () => {
      let out = '';
      for (const event of parser.end()) out += converter.push(event);
      if (!raw) write(out);
      if (converter.finished) return finish(converter.failure === undefined ? 'ok' : 'error', converter.failure?.code ?? null, raw ? '' : converter.end());
      // A translator closes a cut stream with its own error event; a tap (or raw bytes) needs ours.
      const tail = raw ? '' : converter.end();
      const err = new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message: `Provider "${options.upstream}" ended the stream before it was complete.` });
      finish('error', converter.failure?.code ?? err.code, tail !== '' ? tail : options.errorEvent(err));
    });
    source.on('error', (cause: unknown) => fail(classifyUpstreamError(cause, options.upstream, options.signal)));
    sink.once('close', () => {
      if (settled) return;
      source.destroy();
      finish('client_aborted', 'SB_CLIENT_DISCONNECTED', '');
    });
  });
}
