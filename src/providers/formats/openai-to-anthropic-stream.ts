import { randomUUID } from 'node:crypto';
import type { AnthropicContentBlock, AnthropicStopReason } from './anthropic-types.ts';
import { asNumber, asRecord, asString, isRecord, parseJson, type JsonObject } from './json-value.ts';
import { sseEncode, type SseEvent } from '../../upstream/sse-parser.ts';
import { StreamTranslator } from './stream-translator.ts';
import { openaiFinishToAnthropicStop } from './stop-reasons.ts';
import { malformedStreamFailure, truncatedStreamFailure, upstreamStreamFailure, type StreamFailure } from './stream-failure.ts';
import { mintToolId, toAnthropicToolId } from './tool-call-id.ts';
import { usageFromOpenAI, usageToAnthropic } from './usage.ts';

export interface OpenAIToAnthropicStreamOptions {
  /** Model name shown in message_start. */
  model: string;
}

interface OpenBlock {
  kind: 'text' | 'thinking' | 'tool';
  index: number;
}

/**
 * OpenAI chat.completion.chunk stream → Anthropic Messages event stream (translation.md §4.4). Every event
 * carries its `event:` line (Anthropic SDK 1.x drops events without one). The upstream request must have
 * stream_options.include_usage, which anthropicToOpenAIRequest sets.
 */
export class OpenAIToAnthropicStream extends StreamTranslator {
  readonly #model: string;
  #started = false;
  #nextBlock = 0;
  #open: OpenBlock | undefined;
  /** OpenAI tool_calls index → Anthropic block index. */
  readonly #tools = new Map<number, number>();
  #stopReason: AnthropicStopReason | undefined;

  constructor(options: OpenAIToAnthropicStreamOptions) {
    super();
    this.#model = options.model;
  }

  push(event: SseEvent): string {
    if (this.done) return '';
    if (event.data.trim() === '[DONE]') return this.#close();
    const chunk = parseJson(event.data);
    if (!isRecord(chunk)) return this.#fail(malformedStreamFailure());
    if (event.event === 'error' || chunk.error !== undefined) return this.#fail(upstreamStreamFailure(chunk.error ?? chunk));
    let out = this.#start(chunk);
    if (Array.isArray(chunk.choices) && isRecord(chunk.choices[0])) out += this.#choice(chunk.choices[0]);
    if (isRecord(chunk.usage)) {
      this.usageSoFar = usageFromOpenAI(chunk.usage);
      // The usage chunk follows the finish_reason chunk (some servers put both in one); either way it is last.
      if (this.#stopReason !== undefined) out += this.#close();
    }
    return out;
  }

  /** Upstream EOF: complete if a finish_reason came (usage chunk or [DONE] merely missing), else an error. */
  end(): string {
    return this.done ? '' : this.#close();
  }

  #start(chunk: JsonObject): string {
    if (this.#started) return '';
    this.#started = true;
    const id = asString(chunk.id) ?? `msg_${randomUUID().replaceAll('-', '')}`;
    // Input tokens are unknown until the usage chunk; message_delta carries them (SDKs overwrite from it).
    const message = {
      id, type: 'message', role: 'assistant', content: [], model: this.#model,
      stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 },
    };
    return event('message_start', { message });
  }

  #choice(choice: JsonObject): string {
    // After finish_reason the blocks are closed; a stray delta would reopen one past message_delta.
    if (this.#stopReason !== undefined) return '';
    const delta = asRecord(choice.delta);
    let out = this.#thinking(asString(delta.reasoning_content) ?? asString(delta.reasoning));
    out += this.#text(asString(delta.content)) + this.#text(asString(delta.refusal));
    // An empty tool_calls array is no tool delta (litellm#29286): forEach does nothing with it.
    const calls: unknown[] = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
    for (const [k, call] of calls.entries()) out += this.#toolCall(asRecord(call), k);
    if (typeof choice.finish_reason === 'string') {
      out += this.#closeOpen();
      this.#stopReason = openaiFinishToAnthropicStop(choice.finish_reason);
    }
    return out;
  }

  #thinking(text: string | undefined): string {
    if (text === undefined || text === '') return '';
    const open = this.#open?.kind === 'thinking' ? '' : this.#openBlock('thinking', { type: 'thinking', thinking: '', signature: '' });
    return open + this.#delta({ type: 'thinking_delta', thinking: text });
  }

  #text(text: string | undefined): string {
    if (text === undefined || text === '') return '';
    const open = this.#open?.kind === 'text' ? '' : this.#openBlock('text', { type: 'text', text: '' });
    return open + this.#delta({ type: 'text_delta', text });
  }

  #toolCall(call: JsonObject, position: number): string {
    const key = asNumber(call.index) ?? position;
    const fn = asRecord(call.function);
    let out = '';
    let block = this.#tools.get(key);
    if (block === undefined) {
      block = this.#nextBlock;
      const id = asString(call.id);
      const toolId = id === undefined || id === '' ? mintToolId('toolu') : toAnthropicToolId(id);
      out += this.#openBlock('tool', { type: 'tool_use', id: toolId, name: asString(fn.name) ?? '', input: {} });
      this.#tools.set(key, block);
    }
    const args = asString(fn.arguments);
    // A fragment for an earlier, already closed tool (interleaving is unverified for OpenAI) still goes to
    // that tool's block index: the Anthropic SDK accumulates by index, so the final input stays whole.
    if (args !== undefined && args !== '') out += this.#delta({ type: 'input_json_delta', partial_json: args }, block);
    return out;
  }

  #openBlock(kind: OpenBlock['kind'], contentBlock: AnthropicContentBlock): string {
    const out = this.#closeOpen();
    this.#open = { kind, index: this.#nextBlock++ };
    return out + event('content_block_start', { index: this.#open.index, content_block: contentBlock });
  }

  #closeOpen(): string {
    if (this.#open === undefined) return '';
    const index = this.#open.index;
    this.#open = undefined;
    return event('content_block_stop', { index });
  }

  #delta(delta: JsonObject, index = this.#open?.index ?? 0): string {
    return event('content_block_delta', { index, delta });
  }

  /** message_delta waits for the usage chunk so it can carry the real token counts. */
  #close(): string {
    if (this.#stopReason === undefined) return this.#fail(truncatedStreamFailure());
    this.done = true;
    const delta = { stop_reason: this.#stopReason, stop_sequence: null };
    return event('message_delta', { delta, usage: usageToAnthropic(this.usageSoFar) }) + event('message_stop', {});
  }

  /** §4.5: `event: error` makes the Anthropic SDK throw; no message_stop follows, so nothing looks complete. */
  #fail(failure: StreamFailure): string {
    this.done = true;
    this.failureSeen = failure;
    return event('error', { error: { type: anthropicErrorType(failure.upstreamType), message: failure.message, code: failure.code } });
  }
}

function event(type: string, payload: JsonObject): string {
  return sseEncode(JSON.stringify({ type, ...payload }), type);
}

/** Anthropic's mid-stream error vocabulary for an OpenAI error type or code. */
function anthropicErrorType(upstreamType: string | undefined): string {
  if (upstreamType === undefined) return 'api_error';
  if (/rate_limit|quota/i.test(upstreamType)) return 'rate_limit_error';
  return /overload|unavailable|capacity/i.test(upstreamType) ? 'overloaded_error' : 'api_error';
}
