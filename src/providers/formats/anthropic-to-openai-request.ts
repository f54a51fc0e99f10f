import type { AnthropicMessagesRequest } from './anthropic-types.ts';
import type { OpenAIChatRequest, OpenAIFunctionTool, OpenAIToolChoice } from './openai-types.ts';
import { NO_CACHE_BREAKPOINTS, refuseCacheControl } from './anthropic-content-to-openai.ts';
import { anthropicMessagesToOpenAI } from './anthropic-messages-to-openai.ts';
import {
  refuseUnlessDropped, refuseUntranslatable, translationTarget, withoutListed, type TargetOptions, type TranslationTarget, type Untranslatable,
} from './drop-params.ts';
import { asRecord, isRecord, type JsonObject } from './json-value.ts';
import { reasoningEffortForModel } from './reasoning-effort.ts';
import { invalidRequest } from './request-errors.ts';

type Fields<K extends keyof OpenAIChatRequest> = Partial<Pick<OpenAIChatRequest, K>>;

export interface AnthropicToOpenAIOptions extends TargetOptions {
  /** Config models[].reasoning: whether the model reasons; unset: judged from its id (modelReasons). */
  readonly reasoning?: boolean | undefined;
}

const NO_OPTIONS: AnthropicToOpenAIOptions = {};

/**
 * Anthropic parameters with no OpenAI form, refused unless the operator drops them; cache_control is also
 * refused inside system, messages and tools (anthropic-messages-to-openai.ts), and server tools in tools.
 * Not here: diagnostics only asks Anthropic to explain its own prompt-cache misses and is ignored.
 */
const UNTRANSLATABLE: readonly Untranslatable[] = [
  { name: 'top_k', reason: 'OpenAI has no top-k sampling' },
  { name: 'cache_control', reason: NO_CACHE_BREAKPOINTS },
  { name: 'container', reason: 'OpenAI has no Anthropic code-execution containers' },
  { name: 'inference_geo', reason: 'OpenAI chat completions cannot pin the inference region' },
  { name: 'speed', reason: 'OpenAI has no fast output mode', inert: (value) => value === 'standard' },
  { name: 'mcp_servers', reason: 'OpenAI chat completions have no MCP connector', inert: (value) => Array.isArray(value) && value.length === 0 },
  { name: 'context_management', reason: 'OpenAI has no context editing' },
];

/**
 * Anthropic Messages request → OpenAI chat request (translation.md §2). Parameters the operator lists in
 * dropParams are removed first; of the rest, those without an OpenAI form are refused (UNTRANSLATABLE,
 * cache_control, server tools, thinking for a model that does not reason).
 */
export function anthropicToOpenAIRequest(body: AnthropicMessagesRequest, upstreamModel: string, options: AnthropicToOpenAIOptions = NO_OPTIONS): OpenAIChatRequest {
  const target = translationTarget(upstreamModel, options);
  const given: unknown = body;
  if (!isRecord(given)) throw invalidRequest('body', 'must be a JSON object');
  const raw = withoutListed(given, target.dropParams);
  refuseUntranslatable(raw, UNTRANSLATABLE, target);
  const request: OpenAIChatRequest = { model: upstreamModel, messages: anthropicMessagesToOpenAI(raw.system, raw.messages, target) };
  Object.assign(request, maxTokens(raw.max_tokens), sampling(raw), stop(raw.stop_sequences), tooling(raw, target), serviceTier(raw.service_tier));
  Object.assign(request, user(raw.metadata), reasoning(raw, target, options.reasoning), responseFormat(raw), streaming(raw.stream));
  return request;
}

/** max_completion_tokens, because max_tokens is deprecated and "not compatible with o-series models". */
function maxTokens(value: unknown): Fields<'max_completion_tokens'> {
  if (!(typeof value === 'number' && Number.isInteger(value) && value > 0)) throw invalidRequest('max_tokens', 'must be a positive integer');
  return { max_completion_tokens: value };
}

function sampling(body: JsonObject): Fields<'temperature' | 'top_p'> {
  const out: Fields<'temperature' | 'top_p'> = {};
  if (typeof body.temperature === 'number') out.temperature = body.temperature;
  if (typeof body.top_p === 'number') out.top_p = body.top_p;
  return out;
}

function stop(sequences: unknown): Fields<'stop'> {
  if (sequences === undefined || sequences === null) return {};
  if (!Array.isArray(sequences) || !sequences.every((s) => typeof s === 'string')) {
    throw invalidRequest('stop_sequences', 'must be an array of strings');
  }
  return sequences.length > 0 ? { stop: sequences } : {};
}

function tooling(body: JsonObject, target: TranslationTarget): Fields<'tools' | 'tool_choice' | 'parallel_tool_calls'> {
  if (body.tools === undefined || body.tools === null) return {};
  if (!Array.isArray(body.tools)) throw invalidRequest('tools', 'must be an array');
  const tools = body.tools.flatMap((tool: unknown, i) => functionTool(asRecord(tool), `tools.${i}`, target));
  // OpenAI rejects tool_choice without tools.
  if (tools.length === 0) return {};
  const out: Fields<'tools' | 'tool_choice' | 'parallel_tool_calls'> = { tools };
  const choice = toolChoice(body.tool_choice);
  if (choice !== undefined) out.tool_choice = choice;
  if (asRecord(body.tool_choice).disable_parallel_tool_use === true) out.parallel_tool_calls = false;
  return out;
}

/**
 * Server tools (web_search_…, bash_…, text_editor_…, code_execution_…, computer_…) run inside Anthropic and have
 * no OpenAI form: refused, or skipped when the operator lists "server_tools" (one word for them all, as their
 * type names carry version dates).
 */
function functionTool(tool: JsonObject, param: string, target: TranslationTarget): OpenAIFunctionTool[] {
  if (tool.type !== undefined && tool.type !== null && tool.type !== 'custom') {
    refuseUnlessDropped(target, 'server_tools', param, `"${String(tool.type).slice(0, 60)}" is an Anthropic server tool, which OpenAI cannot run`);
    return [];
  }
  refuseCacheControl(tool, param, target);
  if (typeof tool.name !== 'string' || tool.name === '') throw invalidRequest(`${param}.name`, 'must be a non-empty string');
  const parameters = isRecord(tool.input_schema) ? tool.input_schema : { type: 'object', properties: {} };
  const fn: OpenAIFunctionTool['function'] = { name: tool.name, parameters };
  if (typeof tool.description === 'string' && tool.description !== '') fn.description = tool.description;
  return [{ type: 'function', function: fn }];
}

function toolChoice(choice: unknown): OpenAIToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  const spec = asRecord(choice);
  switch (spec.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      if (typeof spec.name !== 'string' || spec.name === '') throw invalidRequest('tool_choice.name', 'must be a non-empty string');
      return { type: 'function', function: { name: spec.name } };
    default:
      throw invalidRequest('tool_choice.type', 'must be auto, any, tool or none');
  }
}

function user(metadata: unknown): Fields<'user'> {
  const id = asRecord(metadata).user_id;
  return typeof id === 'string' && id !== '' ? { user: id } : {};
}

function reasoning(body: JsonObject, target: TranslationTarget, configured: boolean | undefined): Fields<'reasoning_effort'> {
  const effort = reasoningEffortForModel(body, target, configured);
  return effort === undefined ? {} : { reasoning_effort: effort };
}

/** Anthropic "auto" and "standard_only" are OpenAI's "auto" and "default". */
function serviceTier(tier: unknown): Fields<'service_tier'> {
  if (tier === undefined || tier === null) return {};
  if (tier === 'auto') return { service_tier: 'auto' };
  if (tier === 'standard_only') return { service_tier: 'default' };
  throw invalidRequest('service_tier', 'must be auto or standard_only');
}

/** output_config.format (or the older beta output_format) → json_schema response_format, as LiteLLM. */
function responseFormat(body: JsonObject): Fields<'response_format'> {
  const format = asRecord(asRecord(body.output_config).format ?? body.output_format);
  if (format.type !== 'json_schema' || !isRecord(format.schema)) return {};
  return { response_format: { type: 'json_schema', json_schema: { name: 'structured_output', schema: format.schema, strict: true } } };
}

/** include_usage is forced: message_delta must carry usage, and OpenAI sends it only when asked. */
function streaming(stream: unknown): Fields<'stream' | 'stream_options'> {
  return stream === true ? { stream: true, stream_options: { include_usage: true } } : {};
}
