import type { OpenAIChatRequest, OpenAIMessage, OpenAIResponseFormat } from './openai-types.ts';
import { isRecord, type JsonObject } from './json-value.ts';
import { responsesInputToChat, type ItemResolver } from './responses-input-to-chat.ts';
import { responsesToolChoiceToChat, responsesToolsToChat } from './responses-tools-to-chat.ts';
import type {
  ResponsesEcho, ResponsesIncludable, ResponsesInputItem, ResponsesJsonSchemaFormat, ResponsesReasoningConfig, ResponsesReasoningEffort, ResponsesRequest,
  ResponsesServiceTier, ResponsesTextConfig, ResponsesTextFormat,
} from './responses-types.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { invalidRequest, unsupportedParameter } from './request-errors.ts';
import { TranslationRefusals } from './responses-refusals.ts';

export interface ResponsesToChatOptions {
  /** The model id sent upstream. */
  readonly model: string;
  /**
   * The items of the earlier turns when the request continues previous_response_id, oldest first: for each
   * earlier response of the chain, its request's input items (ResponsesToChatResult.input) and then its output
   * items. They come before this request's input. Instructions are not part of it: the API does not carry
   * them over to the next response.
   */
  readonly history?: readonly unknown[];
  /** Looks up items by id for item_reference inputs (stored input and output items of earlier responses). */
  readonly resolveItem?: ItemResolver;
  /**
   * Keep what only OpenAI's own service can do (built-in tools and their items, file ids, background, an
   * item_reference the gateway cannot resolve …) out of the chat instead of throwing, and report the first such
   * refusal as `refusal` (responses-refusals.ts): for a request whose target is not known yet, which an upstream
   * that speaks the Responses API may serve as it came. Malformed input throws either way.
   */
  readonly lenient?: boolean;
}

export interface ResponsesToChatResult {
  /** The Chat Completions body for the upstream. */
  readonly chat: OpenAIChatRequest;
  /** The request fields the Response repeats (ResponsesEnvelopeOptions.echo). */
  readonly echo: ResponsesEcho;
  /** This request's input as items, for the next turn's history (see InputTranslation.items). */
  readonly input: ResponsesInputItem[];
  /** The caller asked for a stream (chat.stream is set to match). */
  readonly stream: boolean;
  /**
   * Lenient only: why the request cannot go as a chat completion, the first refusal met; undefined when `chat`
   * carries the whole request. A chat upstream must answer it with this error.
   */
  readonly refusal: GatewayError | undefined;
  /** See InputTranslation.resolvedFromStore. */
  readonly resolvedFromStore: boolean;
}

type Fields<K extends keyof OpenAIChatRequest> = Partial<Pick<OpenAIChatRequest, K>>;

/**
 * Parameters that ask for something only OpenAI's own Responses service has. Refused rather than ignored:
 * the caller would otherwise believe it got them.
 */
const REFUSED: ReadonlyArray<{ name: string; reason: string; inert?: (value: unknown) => boolean }> = [
  { name: 'background', reason: 'background responses need OpenAI\'s job queue; the gateway answers in the foreground only', inert: (v) => v === false },
  { name: 'conversation', reason: 'the gateway does not keep OpenAI Conversations; continue with previous_response_id instead' },
  { name: 'prompt', reason: 'prompt templates live in OpenAI\'s dashboard, which this model\'s provider cannot read' },
  { name: 'max_tool_calls', reason: 'Chat Completions cannot cap the number of tool calls' },
  { name: 'context_management', reason: 'Chat Completions has no server-side compaction', inert: (v) => Array.isArray(v) && v.length === 0 },
  { name: 'moderation', reason: 'Chat Completions has no built-in moderation' },
];

const EFFORTS: ReadonlySet<unknown> = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);
const SUMMARIES: ReadonlySet<unknown> = new Set(['auto', 'concise', 'detailed']);
const SERVICE_TIERS: ReadonlySet<unknown> = new Set(['auto', 'default', 'flex', 'scale', 'priority']);
const VERBOSITIES: ReadonlySet<unknown> = new Set(['low', 'medium', 'high']);
const INCLUDABLE: ReadonlySet<unknown> = new Set<ResponsesIncludable>([
  'file_search_call.results', 'web_search_call.results', 'web_search_call.action.sources', 'message.input_image.image_url',
  'computer_call_output.output.image_url', 'code_interpreter_call.outputs', 'reasoning.encrypted_content', 'message.output_text.logprobs',
]);

/**
 * Responses request → Chat Completions request, plus what the Response must repeat. Mapped: instructions →
 * a leading system message, input items → messages (responses-input-to-chat.ts), function tools and
 * tool_choice, text.format → response_format, text.verbosity → verbosity, reasoning.effort →
 * reasoning_effort, max_output_tokens → max_completion_tokens, temperature, top_p, user, service_tier,
 * parallel_tool_calls, stream. Echoed only, never sent upstream: metadata (OpenAI-compatible servers reject
 * it), store, previous_response_id, truncation, safety_identifier, prompt_cache_key, reasoning.summary.
 * Ignored: stream_options (no obfuscation is written), prompt_cache_retention, prompt_cache_options, unknown
 * top-level fields (newer SDKs add some).
 */
export function responsesToChatRequest(body: ResponsesRequest, options: ResponsesToChatOptions): ResponsesToChatResult {
  const given: unknown = body;
  if (!isRecord(given)) throw invalidRequest('body', 'must be a JSON object');
  const refusals = new TranslationRefusals(options.lenient === true);
  refuseHostedFeatures(given, refusals);
  if (given.model !== undefined && typeof given.model !== 'string') throw invalidRequest('model', 'must be a string');
  const tools = responsesToolsToChat(given.tools, refusals);
  const toolChoice = responsesToolChoiceToChat(given.tool_choice, tools.echo, refusals);
  const text = textConfig(given.text);
  const reasoning = reasoningConfig(given.reasoning);
  const instructions = optionalString(given.instructions, 'instructions');
  const { messages, items, resolvedFromStore } = responsesInputToChat(options.history ?? [], given.input, options.resolveItem, refusals);
  // An input of nothing but items a lenient translation left out is still an input.
  if (!messages.some((m) => m.role !== 'system') && !refusals.any) throw invalidRequest('input', 'is required: give a string or at least one input item');
  const system: OpenAIMessage[] = instructions === null || instructions === '' ? [] : [{ role: 'system', content: instructions }];
  const parallel = optionalBoolean(given.parallel_tool_calls, 'parallel_tool_calls');
  const stream = optionalBoolean(given.stream, 'stream') === true;
  if (given.stream_options !== undefined && given.stream_options !== null && !isRecord(given.stream_options)) throw invalidRequest('stream_options', 'must be an object');
  const echo: ResponsesEcho = {
    instructions,
    metadata: metadataOf(given.metadata),
    parallel_tool_calls: parallel ?? true,
    temperature: optionalNumber(given.temperature, 'temperature'),
    tool_choice: toolChoice.echo,
    tools: tools.echo,
    top_p: optionalNumber(given.top_p, 'top_p'),
    background: false,
    max_output_tokens: maxOutputTokens(given.max_output_tokens),
    previous_response_id: optionalString(given.previous_response_id, 'previous_response_id'),
    prompt_cache_key: optionalString(given.prompt_cache_key, 'prompt_cache_key'),
    reasoning,
    safety_identifier: optionalString(given.safety_identifier, 'safety_identifier'),
    service_tier: serviceTier(given.service_tier) ?? 'auto',
    store: optionalBoolean(given.store, 'store') ?? true,
    text,
    top_logprobs: topLogprobs(given.top_logprobs, given.include, refusals),
    truncation: truncation(given.truncation),
    user: userOf(given.user),
  };
  const chat: OpenAIChatRequest = { model: options.model, messages: [...system, ...messages] };
  if (tools.chat.length > 0) {
    chat.tools = tools.chat;
    if (toolChoice.chat !== undefined) chat.tool_choice = toolChoice.chat;
    // Chat rejects parallel_tool_calls without tools.
    if (parallel !== null) chat.parallel_tool_calls = parallel;
  }
  Object.assign(chat, responseFormat(text), sampling(echo), tokens(echo.max_output_tokens), effort(reasoning.effort));
  if (echo.user !== null) chat.user = echo.user;
  const tier = serviceTier(given.service_tier);
  if (tier !== undefined) chat.service_tier = tier;
  // include_usage is forced: the final Response must carry usage, and chat streams send it only when asked.
  if (stream) Object.assign(chat, { stream: true, stream_options: { include_usage: true } });
  return { chat, echo, input: items, stream, refusal: refusals.first, resolvedFromStore };
}

function refuseHostedFeatures(body: JsonObject, refusals: TranslationRefusals): void {
  for (const { name, reason, inert } of REFUSED) {
    const value = body[name];
    if (value === undefined || value === null || inert?.(value) === true) continue;
    refusals.refuse(unsupportedParameter(name, reason));
  }
}

function textConfig(text: unknown): ResponsesTextConfig {
  if (text === undefined || text === null) return { format: { type: 'text' } };
  if (!isRecord(text)) throw invalidRequest('text', 'must be an object');
  const config: ResponsesTextConfig = { format: textFormat(text.format) };
  if (text.verbosity !== undefined && text.verbosity !== null) {
    if (!VERBOSITIES.has(text.verbosity)) throw invalidRequest('text.verbosity', 'must be one of low, medium, high');
    config.verbosity = text.verbosity as ResponsesTextConfig['verbosity'];
  }
  return config;
}

function textFormat(format: unknown): ResponsesTextFormat {
  if (format === undefined || format === null) return { type: 'text' };
  if (!isRecord(format)) throw invalidRequest('text.format', 'must be an object');
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      if (typeof format.name !== 'string' || format.name === '') throw invalidRequest('text.format.name', 'must be a non-empty string');
      if (!isRecord(format.schema)) throw invalidRequest('text.format.schema', 'must be a JSON Schema object');
      const out: ResponsesJsonSchemaFormat = { type: 'json_schema', name: format.name, schema: format.schema };
      if (format.description !== undefined && format.description !== null) {
        if (typeof format.description !== 'string') throw invalidRequest('text.format.description', 'must be a string');
        out.description = format.description;
      }
      if (format.strict !== undefined && format.strict !== null) {
        if (typeof format.strict !== 'boolean') throw invalidRequest('text.format.strict', 'must be a boolean');
        out.strict = format.strict;
      }
      return out;
    }
    default:
      throw invalidRequest('text.format.type', 'must be one of text, json_schema, json_object');
  }
}

/** Responses nests the schema fields in format; chat puts them under json_schema. */
function responseFormat(text: ResponsesTextConfig): Fields<'response_format' | 'verbosity'> {
  const out: Fields<'response_format' | 'verbosity'> = {};
  const format = text.format;
  if (format.type === 'json_object') out.response_format = { type: 'json_object' };
  if (format.type === 'json_schema') {
    const schema: NonNullable<OpenAIResponseFormat['json_schema']> = { name: format.name, schema: format.schema };
    if (format.description !== undefined) schema.description = format.description;
    if (format.strict !== undefined) schema.strict = format.strict;
    out.response_format = { type: 'json_schema', json_schema: schema };
  }
  if (text.verbosity !== undefined && text.verbosity !== null) out.verbosity = text.verbosity;
  return out;
}

function reasoningConfig(reasoning: unknown): ResponsesReasoningConfig {
  if (reasoning === undefined || reasoning === null) return { effort: null, summary: null };
  if (!isRecord(reasoning)) throw invalidRequest('reasoning', 'must be an object');
  let effort: ResponsesReasoningEffort | null = null;
  if (reasoning.effort !== undefined && reasoning.effort !== null) {
    if (!EFFORTS.has(reasoning.effort)) throw invalidRequest('reasoning.effort', 'must be one of none, minimal, low, medium, high, xhigh, max');
    effort = reasoning.effort as ResponsesReasoningEffort;
  }
  // generate_summary is the deprecated name of summary.
  const field = reasoning.summary !== undefined && reasoning.summary !== null ? 'summary' : 'generate_summary';
  const summary = reasoning[field];
  if (summary !== undefined && summary !== null && !SUMMARIES.has(summary)) throw invalidRequest(`reasoning.${field}`, 'must be one of auto, concise, detailed');
  return { effort, summary: (summary ?? null) as ResponsesReasoningConfig['summary'] };
}

function effort(value: ResponsesReasoningEffort | null): Fields<'reasoning_effort'> {
  return value === null ? {} : { reasoning_effort: value };
}

function sampling(echo: ResponsesEcho): Fields<'temperature' | 'top_p'> {
  const out: Fields<'temperature' | 'top_p'> = {};
  if (echo.temperature !== null) out.temperature = echo.temperature;
  if (echo.top_p !== null) out.top_p = echo.top_p;
  return out;
}

/** max_completion_tokens, because max_tokens is deprecated and "not compatible with o-series models". */
function tokens(max: number | null): Fields<'max_completion_tokens'> {
  return max === null ? {} : { max_completion_tokens: max };
}

function maxOutputTokens(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) throw invalidRequest('max_output_tokens', 'must be a positive integer');
  return value;
}

function metadataOf(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw invalidRequest('metadata', 'must be an object of string values');
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidRequest(`metadata.${key}`, 'must be a string');
    out[key] = v;
  }
  return out;
}

function serviceTier(value: unknown): ResponsesServiceTier | undefined {
  if (value === undefined || value === null) return undefined;
  if (!SERVICE_TIERS.has(value)) throw invalidRequest('service_tier', 'must be one of auto, default, flex, scale, priority');
  return value as ResponsesServiceTier;
}

function truncation(value: unknown): 'auto' | 'disabled' {
  if (value === undefined || value === null) return 'disabled';
  // "auto" is accepted but not acted on: the gateway does not know the upstream's context window, so an
  // input too long still fails upstream instead of losing its oldest items.
  if (value !== 'auto' && value !== 'disabled') throw invalidRequest('truncation', 'must be "auto" or "disabled"');
  return value;
}

/**
 * Log probabilities are refused: chat could return them, but their translation into output_text.logprobs is
 * not built. The other include values ask for data of hosted tools (refused anyway) or of encrypted reasoning,
 * which a Chat Completions upstream never returns, so there is nothing to include and they pass.
 */
function topLogprobs(value: unknown, include: unknown, refusals: TranslationRefusals): number {
  if (include !== undefined && include !== null) {
    if (!Array.isArray(include)) throw invalidRequest('include', 'must be an array');
    include.forEach((entry: unknown, i) => {
      if (!INCLUDABLE.has(entry)) throw invalidRequest(`include[${i}]`, `"${String(entry).slice(0, 60)}" is not a known include value`);
      if (entry === 'message.output_text.logprobs') refusals.refuse(unsupportedParameter(`include[${i}]`, 'the gateway does not translate log probabilities for the Responses API'));
    });
  }
  if (value === undefined || value === null) return 0;
  if (!(typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 20)) throw invalidRequest('top_logprobs', 'must be an integer from 0 to 20');
  if (value > 0) refusals.refuse(unsupportedParameter('top_logprobs', 'the gateway does not translate log probabilities for the Responses API'));
  return 0;
}

function userOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidRequest('user', 'must be a string');
  return value;
}

function optionalString(value: unknown, param: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidRequest(param, 'must be a string');
  return value;
}

function optionalNumber(value: unknown, param: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidRequest(param, 'must be a number');
  return value;
}

function optionalBoolean(value: unknown, param: string): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw invalidRequest(param, 'must be a boolean');
  return value;
}
