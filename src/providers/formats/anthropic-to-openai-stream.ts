import { randomUUID } from 'node:crypto';
import type { OpenAIChunkDelta, OpenAIFinishReason } from './openai-types.ts';
import { asRecord, asString, isRecord, parseJson, type JsonObject } from './json-value.ts';
import { sseEncode, type SseEvent } from '../../upstream/sse-parser.ts';
import { StreamTranslator } from './stream-translator.ts';
import { anthropicStopToOpenAIFinish } from './stop-reasons.ts';
import { malformedStreamFailure, truncatedStreamFailure, upstreamStreamFailure, type StreamFailure } from './stream-failure.ts';
import { mintToolId } from './tool-call-id.ts';
import { mergeAnthropicUsage, usageToOpenAI } from './usage.ts';

export interface AnthropicToOpenAIStreamOptions {
  /** Model name shown in every chunk. */
  model: string;
  /** The caller asked for stream_options.include_usage: send the final `choices: []` usage chunk. */
  includeUsage: boolean;
  /** Set when response_format was emulated with a tool: its argument deltas stream out as content. */
  jsonToolName?: string;
}

/** A tool_use block being streamed; `index` is its dense OpenAI tool_calls index (-1 for the JSON tool). */
interface ToolBlock {
  index: number;
  json: boolean;
  argsSent: boolean;
}

/**
 * Anthropic Messages event stream → OpenAI chat.completion.chunk stream (translation.md §4.3). push() takes
 * one upstream event and returns the SSE text to write (often ""); end() is called at upstream EOF.
 */
export class AnthropicToOpenAIStream extends StreamTranslator {
  readonly #model: string;
  readonly #includeUsage: boolean;
  readonly #jsonToolName: string | undefined;
  readonly #created = Math.floor(Date.now() / 1000);
  #id: string | undefined;
  #roleSent = false;
  /** Keyed by Anthropic block index: tool indexes must run 0,1,2… whatever blocks come between. */
  readonly #tools = new Map<number, ToolBlock>();
  #nextTool = 0;
  #jsonUsed = false;
  #stopReason: unknown = null;

  constructor(options: AnthropicToOpenAIStreamOptions) {
    super();
    this.#model = options.model;
    this.#includeUsage = options.includeUsage;
    this.#jsonToolName = options.jsonToolName;
  }

  push(event: SseEvent): string {
    if (this.done) return '';
    const data = parseJson(event.data);
    if (!isRecord(data)) return this.#fail(malformedStreamFailure());
    switch (data.type ?? event.event) {
      case 'message_start':
        return this.#messageStart(asRecord(data.message));
      case 'content_block_start':
        return this.#blockStart(data.index, asRecord(data.content_block));
      case 'content_block_delta':
        return this.#blockDelta(data.index, asRecord(data.delta));
      case 'content_block_stop':
        return this.#blockStop(data.index);
      case 'message_delta':
        return this.#messageDelta(data);
      case 'message_stop':
        return this.#messageStop();
      case 'error':
        return this.#fail(upstreamStreamFailure(data.error));
      case 'ping':
        // Keeps idle proxies from closing the connection; the OpenAI SDK ignores comments.
        return ': ping\n\n';
      default:
        return '';
    }
  }

  /** Upstream EOF. Without message_stop the answer is incomplete: say so, never invent a finish_reason. */
  end(): string {
    return this.done ? '' : this.#fail(truncatedStreamFailure());
  }

  #messageStart(message: JsonObject): string {
    this.#id ??= asString(message.id);
    this.usageSoFar = mergeAnthropicUsage(this.usageSoFar, message.usage);
    return this.#roleSent ? '' : this.#chunk({ content: '' });
  }

  #blockStart(index: unknown, block: JsonObject): string {
    if (block.type === 'tool_use' && typeof index === 'number') return this.#toolStart(index, block);
    if (block.type === 'text') return this.#content(asString(block.text));
    if (block.type === 'thinking') return this.#reasoning(asString(block.thinking));
    // redacted_thinking and server tool blocks have no OpenAI form.
    return '';
  }

  #toolStart(index: number, block: JsonObject): string {
    const input = isRecord(block.input) && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
    if (this.#jsonToolName !== undefined && block.name === this.#jsonToolName) {
      this.#jsonUsed = true;
      this.#tools.set(index, { index: -1, json: true, argsSent: input !== '' });
      return this.#content(input);
    }
    const tool: ToolBlock = { index: this.#nextTool++, json: false, argsSent: input !== '' };
    this.#tools.set(index, tool);
    const id = asString(block.id) ?? mintToolId('call');
    const name = asString(block.name) ?? '';
    return this.#chunk({ tool_calls: [{ index: tool.index, id, type: 'function', function: { name, arguments: input } }] });
  }

  #blockDelta(index: unknown, delta: JsonObject): string {
    switch (delta.type) {
      case 'text_delta':
        return this.#content(asString(delta.text));
      case 'thinking_delta':
        return this.#reasoning(asString(delta.thinking));
      case 'input_json_delta':
        return this.#arguments(typeof index === 'number' ? this.#tools.get(index) : undefined, asString(delta.partial_json) ?? '');
      default:
        // signature_delta and citations_delta have no OpenAI field.
        return '';
    }
  }

  #arguments(tool: ToolBlock | undefined, partial: string): string {
    // Anthropic opens every tool with partial_json "": skip it (Vercel does too).
    if (tool === undefined || partial === '') return '';
    tool.argsSent = true;
    if (tool.json) return this.#content(partial);
    return this.#chunk({ tool_calls: [{ index: tool.index, function: { arguments: partial } }] });
  }

  /** A tool called without arguments sent none: send "{}" so clients can JSON.parse them. */
  #blockStop(index: unknown): string {
    const tool = typeof index === 'number' ? this.#tools.get(index) : undefined;
    if (tool === undefined || tool.argsSent) return '';
    return this.#arguments(tool, '{}');
  }

  #messageDelta(data: JsonObject): string {
    this.usageSoFar = mergeAnthropicUsage(this.usageSoFar, data.usage);
    const stopReason = asRecord(data.delta).stop_reason;
    if (stopReason !== undefined && stopReason !== null) this.#stopReason = stopReason;
    return '';
  }

  #messageStop(): string {
    this.done = true;
    const jsonOnly = this.#jsonUsed && this.#nextTool === 0;
    let out = this.#chunk({}, anthropicStopToOpenAIFinish(this.#stopReason, jsonOnly));
    if (this.#includeUsage) out += sseEncode(JSON.stringify({ ...this.#envelope(), choices: [], usage: usageToOpenAI(this.usageSoFar) }));
    return out + sseEncode('[DONE]');
  }

  /** §4.5: the OpenAI SDK throws APIError on a data line with an `error` key; no [DONE] follows. */
  #fail(failure: StreamFailure): string {
    this.done = true;
    this.failureSeen = failure;
    const error = { message: failure.message, type: failure.upstreamType ?? 'server_error', param: null, code: failure.code };
    return sseEncode(JSON.stringify({ error }));
  }

  #content(text: string | undefined): string {
    return text === undefined || text === '' ? '' : this.#chunk({ content: text });
  }

  /** Non-standard reasoning_content, as LiteLLM and Envoy send it. */
  #reasoning(text: string | undefined): string {
    return text === undefined || text === '' ? '' : this.#chunk({ reasoning_content: text });
  }

  #chunk(delta: OpenAIChunkDelta, finishReason: OpenAIFinishReason | null = null): string {
    // The OpenAI SDK's ChatCompletionStream throws "missing role" if the first delta lacks one.
    const withRole: OpenAIChunkDelta = this.#roleSent ? delta : { role: 'assistant', ...delta };
    this.#roleSent = true;
    const choice = { index: 0, delta: withRole, logprobs: null, finish_reason: finishReason };
    return sseEncode(JSON.stringify({ ...this.#envelope(), choices: [choice] }));
  }

  /** Same id and created on every chunk, as OpenAI does. */
  #envelope(): { id: string; object: 'chat.completion.chunk'; created: number; model: string } {
    this.#id ??= `chatcmpl-${randomUUID()}`;
    return { id: this.#id, object: 'chat.completion.chunk', created: this.#created, model: this.#model };
  }
}
