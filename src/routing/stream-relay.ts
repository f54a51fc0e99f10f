import type { Readable, Writable } from 'node:stream';
import { GatewayError } from '../errors/gateway-error.ts';
import { AnthropicToOpenAIStream } from '../providers/formats/anthropic-to-openai-stream.ts';
import { OpenAIToAnthropicStream } from '../providers/formats/openai-to-anthropic-stream.ts';
import { SseParser } from '../providers/formats/sse-parser.ts';
import type { StreamTranslator } from '../providers/formats/stream-translator.ts';
import type { TokenUsage } from '../providers/formats/usage.ts';
import type { WireFormat } from '../providers/provider-adapter.ts';
import { classifyUpstreamError } from '../upstream/classify-upstream-error.ts';
import type { UsageOutcome } from '../usage/usage-record.ts';
import { streamErrorEvent } from './stream-error-event.ts';
import { StreamTap } from './stream-tap.ts';
import type { UpstreamCall } from './upstream-call.ts';

export interface RelayOptions {
  readonly call: UpstreamCall;
  readonly callerFormat: WireFormat;
  readonly provider: string;
  /** Model name to show in translated chunks. */
  readonly model: string;
  readonly signal: AbortSignal;
  readonly startedAt: number;
}

export interface RelayResult {
  readonly usage: TokenUsage;
  readonly outcome: UsageOutcome;
  readonly errorCode: string | null;
  readonly ttftMs: number | null;
}

/**
 * Moves an upstream event stream to the caller: raw bytes when nothing must change, otherwise event by event
 * through the tap or a translator. Honours backpressure, turns upstream failures into a final error event in
 * the caller's dialect, and reports usage and outcome once the stream is over.
 */
export function relayStream(source: Readable, sink: Writable, options: RelayOptions): Promise<RelayResult> {
  const { call } = options;
  const converter = makeStreamTranslator(options);
  const raw = call.translation === 'none' && !call.dropUsageChunk;
  const parser = new SseParser();
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
    const write = (text: string | Buffer): void => {
      if (text.length === 0 || sink.destroyed) return;
      if (!sink.write(text)) {
        source.pause();
        sink.once('drain', () => source.resume());
      }
    };
    source.on('data', (chunk: Buffer) => {
      ttftMs ??= performance.now() - options.startedAt;
      const events = parser.push(chunk);
      if (raw) write(chunk);
      let out = '';
      for (const event of events) out += converter.push(event);
      if (!raw) write(out);
    });
    source.on('end', () => {
      let out = '';
      for (const event of parser.end()) out += converter.push(event);
      if (!raw) write(out);
      if (converter.finished) return finish(converter.failed ? 'error' : 'ok', converter.failure?.code ?? null, raw ? '' : converter.end());
      const err = new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message: `Provider "${options.provider}" ended the stream before it was complete.` });
      finish('error', err.code, raw || call.translation === 'none' ? streamErrorEvent(options.callerFormat, err) : converter.end());
    });
    source.on('error', (cause: unknown) => {
      if (options.signal.aborted && sink.destroyed) return finish('client_aborted', null, '');
      const classified = classifyUpstreamError(cause, options.provider);
      const err = classified instanceof GatewayError ? classified
        : new GatewayError('SB_UPSTREAM_TIMEOUT', { message: 'The request deadline passed while the answer was streaming (server.requestTimeoutMs).' });
      finish('error', err.code, streamErrorEvent(options.callerFormat, err));
    });
    sink.once('close', () => {
      if (settled) return;
      source.destroy();
      finish('client_aborted', null, '');
    });
  });
}

function makeStreamTranslator(options: RelayOptions): StreamTranslator {
  const { call } = options;
  if (call.translation === 'anthropic-to-openai') {
    return new AnthropicToOpenAIStream({ model: options.model, includeUsage: call.includeUsage, ...(call.jsonToolName ? { jsonToolName: call.jsonToolName } : {}) });
  }
  if (call.translation === 'openai-to-anthropic') return new OpenAIToAnthropicStream({ model: options.model });
  return new StreamTap(options.callerFormat, call.dropUsageChunk);
}
