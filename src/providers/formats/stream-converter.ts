import type { ResponsesTurn } from '../../domain/responses-turn.ts';
import { SseParser } from '../../upstream/sse-parser.ts';
import type { SseConverter } from '../../upstream/stream-relay.ts';
import type { WireFormat } from '../provider-adapter.ts';
import { AnthropicToOpenAIStream } from './anthropic-to-openai-stream.ts';
import { ChatToResponsesStream } from './chat-to-responses-stream.ts';
import { OpenAIToAnthropicStream } from './openai-to-anthropic-stream.ts';
import type { ResponsesEcho } from './responses-types.ts';
import { ResponsesStreamTap } from './responses-stream-tap.ts';
import { StreamTap } from './stream-tap.ts';
import type { UpstreamCall } from './upstream-call.ts';

/**
 * The converter a relayed stream goes through: a translator when the dialects differ, else the tap. A Responses
 * call's stream is tapped when its upstream speaks the API, else made from the chat stream (an Anthropic one
 * translated to chat on the way).
 */
export function streamConverterFor(call: UpstreamCall, callerFormat: WireFormat, model: string, turn?: ResponsesTurn): SseConverter {
  if (call.responses === 'native') return new ResponsesStreamTap();
  if (call.responses === 'from-chat' && turn !== undefined) {
    const responses = new ChatToResponsesStream({ id: turn.id, createdAt: turn.createdAt, model, echo: turn.echo as unknown as ResponsesEcho });
    return call.translation === 'none' ? responses : new ChainedConverter(chatConverterFor(call, 'openai', model), responses);
  }
  return chatConverterFor(call, callerFormat, model);
}

function chatConverterFor(call: UpstreamCall, callerFormat: WireFormat, model: string): SseConverter {
  if (call.translation === 'anthropic-to-openai') {
    return new AnthropicToOpenAIStream({ model, includeUsage: call.includeUsage, ...(call.jsonToolName ? { jsonToolName: call.jsonToolName } : {}) });
  }
  if (call.translation === 'openai-to-anthropic') return new OpenAIToAnthropicStream({ model });
  return new StreamTap(callerFormat, call.dropUsageChunk);
}

/**
 * Two converters in a row: what the first writes is read as events by the second (Anthropic → chat → Responses).
 * Usage and failures are the first's, which read the upstream's own words; the end is the second's.
 */
class ChainedConverter implements SseConverter {
  readonly #first: SseConverter;
  readonly #second: SseConverter;
  readonly #between = new SseParser();

  constructor(first: SseConverter, second: SseConverter) {
    this.#first = first;
    this.#second = second;
  }

  push(event: Parameters<SseConverter['push']>[0]): string {
    return this.#relay(this.#first.push(event));
  }

  end(): string {
    return this.#relay(this.#first.end()) + this.#second.end();
  }

  #relay(text: string): string {
    if (text === '') return '';
    let out = '';
    for (const event of this.#between.push(Buffer.from(text))) out += this.#second.push(event);
    return out;
  }

  get usage(): SseConverter['usage'] {
    return this.#first.usage;
  }

  get finished(): boolean {
    return this.#second.finished;
  }

  get failure(): SseConverter['failure'] {
    return this.#first.failure ?? this.#second.failure;
  }

  get response(): SseConverter['response'] {
    return this.#second.response;
  }

  get errorEvent(): SseConverter['errorEvent'] {
    return this.#second.errorEvent;
  }
}
