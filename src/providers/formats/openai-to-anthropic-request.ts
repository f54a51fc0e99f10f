import type { AnthropicMessagesRequest, AnthropicThinkingConfig, AnthropicTool, AnthropicToolChoice } from './anthropic-types.ts';
import type { OpenAIChatRequest } from './openai-types.ts';
import { refuseUntranslatable, translationTarget, withoutListed, type TargetOptions, type Untranslatable } from './drop-params.ts';
import { jsonResponseTool } from './json-response-tool.ts';
import { asString, isRecord, type JsonObject } from './json-value.ts';
import { openaiMessagesToAnthropic } from './openai-messages-to-anthropic.ts';
import { openaiToolsToAnthropic, type AnthropicToolSetup } from './openai-tools-to-anthropic.ts';
import { thinkingForModel } from './reasoning-effort.ts';
import { invalidRequest, untranslatable, type RefusingTarget } from './request-errors.ts';

export interface OpenAIToAnthropicOptions extends TargetOptions {
  /** max_tokens when the caller sent neither max_completion_tokens nor max_tokens (Anthropic requires one). */
  defaultMaxTokens: number;
  /** Config models[].reasoning: whether the model thinks; unset: judged from its id (modelReasons). */
  reasoning?: boolean | undefined;
}

type Fields<K extends keyof AnthropicMessagesRequest> = Partial<Pick<AnthropicMessagesRequest, K>>;

const isZero = (value: unknown): boolean => value === 0;

/**
 * OpenAI parameters with no Anthropic form, refused unless the operator drops them. Default values ask for
 * nothing and pass: SDKs such as LangChain send penalties of 0. Not here: store and metadata only concern the
 * caller's records at OpenAI and are ignored; stream_options only steers the usage chunk, which the gateway
 * writes itself.
 */
const UNTRANSLATABLE: readonly Untranslatable[] = [
  { name: 'logprobs', reason: 'Anthropic returns no log probabilities', inert: (value) => value === false },
  { name: 'top_logprobs', reason: 'Anthropic returns no log probabilities' },
  { name: 'logit_bias', reason: 'Anthropic has no token biasing', inert: (value) => isRecord(value) && Object.keys(value).length === 0 },
  { name: 'seed', reason: 'Anthropic has no sampling seed' },
  { name: 'frequency_penalty', reason: 'Anthropic has no frequency penalty', inert: isZero },
  { name: 'presence_penalty', reason: 'Anthropic has no presence penalty', inert: isZero },
  { name: 'audio', reason: 'Anthropic models answer in text only' },
  { name: 'modalities', reason: 'Anthropic models answer in text only', inert: (value) => Array.isArray(value) && value.every((m) => m === 'text') },
  { name: 'prediction', reason: 'Anthropic has no predicted outputs' },
  { name: 'verbosity', reason: 'Anthropic has no verbosity setting' },
  { name: 'web_search_options', reason: 'Anthropic offers web search only as a server tool' },
  { name: 'moderation', reason: 'Anthropic does not run OpenAI moderation' },
  { name: 'prompt_cache_key', reason: 'Anthropic caches only at cache_control breakpoints' },
  { name: 'prompt_cache_options', reason: 'Anthropic caches only at cache_control breakpoints' },
  { name: 'prompt_cache_retention', reason: 'Anthropic caches only at cache_control breakpoints' },
];

/**
 * OpenAI chat request → Anthropic Messages request (translation.md §1). Parameters the operator lists in
 * dropParams are removed first; of the rest, those without an Anthropic form are refused (UNTRANSLATABLE, n > 1,
 * reasoning_effort for a model that does not think, service tiers Anthropic lacks).
 */
export function openaiToAnthropicRequest(body: OpenAIChatRequest, upstreamModel: string, options: OpenAIToAnthropicOptions): AnthropicMessagesRequest {
  const target = translationTarget(upstreamModel, options);
  const given: unknown = body;
  if (!isRecord(given)) throw invalidRequest('body', 'must be a JSON object');
  const raw = withoutListed(given, target.dropParams);
  refuseUntranslatable(raw, UNTRANSLATABLE, target);
  rejectMultipleChoices(raw.n, target);
  const { system, messages } = openaiMessagesToAnthropic(raw.messages);
  const thinking = thinkingForModel(raw.reasoning_effort, target, options.reasoning);
  const request: AnthropicMessagesRequest = { model: upstreamModel, max_tokens: maxTokens(raw, options.defaultMaxTokens, thinking), messages };
  if (system !== undefined) request.system = system;
  Object.assign(request, sampling(raw, thinking), stopSequences(raw.stop), tooling(raw, thinking), metadata(raw), serviceTier(raw.service_tier, target));
  if (thinking !== undefined) request.thinking = thinking;
  if (raw.stream === true) request.stream = true;
  return request;
}

function rejectMultipleChoices(n: unknown, target: RefusingTarget): void {
  if (n === undefined || n === null || n === 1) return;
  if (typeof n === 'number' && Number.isInteger(n) && n > 1) {
    throw untranslatable(target, 'n', 'n', 'Anthropic models return exactly one choice');
  }
  throw invalidRequest('n', 'must be a positive integer');
}

/** OpenAI "auto" and "default" are Anthropic's "auto" and "standard_only"; flex, scale and priority have no match. */
function serviceTier(tier: unknown, target: RefusingTarget): Fields<'service_tier'> {
  if (tier === undefined || tier === null) return {};
  if (tier === 'auto') return { service_tier: 'auto' };
  if (tier === 'default') return { service_tier: 'standard_only' };
  if (typeof tier !== 'string') throw invalidRequest('service_tier', 'must be a string');
  throw untranslatable(target, 'service_tier', 'service_tier', `Anthropic has no "${tier.slice(0, 40)}" service tier`);
}

function maxTokens(body: JsonObject, fallback: number, thinking: AnthropicThinkingConfig | undefined): number {
  const param = body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  const requested = body[param];
  if (requested != null && !(typeof requested === 'number' && Number.isInteger(requested) && requested > 0)) {
    throw invalidRequest(param, 'must be a positive integer');
  }
  const max = typeof requested === 'number' ? requested : fallback;
  // budget_tokens "must be ≥1024 and less than max_tokens": grow the limit rather than starve the answer.
  if (thinking?.type === 'enabled' && max <= thinking.budget_tokens) return max + thinking.budget_tokens;
  return max;
}

function sampling(body: JsonObject, thinking: AnthropicThinkingConfig | undefined): Fields<'temperature' | 'top_p'> {
  // Anthropic rejects sampling changes while thinking is on (the Vercel provider drops them too).
  if (thinking?.type === 'enabled') return {};
  const temperature = optionalNumber(body.temperature, 'temperature');
  const topP = optionalNumber(body.top_p, 'top_p');
  // OpenAI's range is 0–2, Anthropic's 0–1: clamp like Vercel and Anthropic's compat layer, never rescale.
  if (temperature !== undefined) return { temperature: Math.min(1, Math.max(0, temperature)) };
  // Recent Claude models reject temperature and top_p together, so top_p goes only on its own.
  return topP === undefined ? {} : { top_p: topP };
}

function optionalNumber(value: unknown, param: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidRequest(param, 'must be a number');
  return value;
}

function stopSequences(stop: unknown): Fields<'stop_sequences'> {
  if (stop === undefined || stop === null) return {};
  const list: unknown = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) {
    throw invalidRequest('stop', 'must be a string or an array of strings');
  }
  // Anthropic rejects whitespace-only stop sequences.
  const kept = list.filter((item: string) => item.trim() !== '');
  return kept.length > 0 ? { stop_sequences: kept } : {};
}

function tooling(body: JsonObject, thinking: AnthropicThinkingConfig | undefined): Fields<'tools' | 'tool_choice'> {
  const setup = openaiToolsToAnthropic(body);
  const json = jsonResponseTool(body.response_format);
  if (json !== undefined) return withJsonTool(setup, json, thinking);
  if (setup.tools.length === 0) return {};
  return setup.toolChoice === undefined ? { tools: setup.tools } : { tools: setup.tools, tool_choice: setup.toolChoice };
}

function withJsonTool(setup: AnthropicToolSetup, json: AnthropicTool, thinking: AnthropicThinkingConfig | undefined): Fields<'tools' | 'tool_choice'> {
  if (setup.tools.some((tool) => tool.name === json.name)) {
    throw invalidRequest('tools', `the tool name "${json.name}" is reserved while response_format asks for JSON`);
  }
  return { tools: [...setup.tools, json], tool_choice: jsonToolChoice(setup, json.name, thinking) };
}

function jsonToolChoice(setup: AnthropicToolSetup, name: string, thinking: AnthropicThinkingConfig | undefined): AnthropicToolChoice {
  const choice = setup.toolChoice;
  const serial = choice !== undefined && 'disable_parallel_tool_use' in choice ? { disable_parallel_tool_use: true } : {};
  // Anthropic refuses forced tool use with extended thinking, so then the tool is only offered (as LiteLLM).
  if (thinking?.type === 'enabled') return { type: 'auto', ...serial };
  if (choice?.type === 'tool') return choice;
  // With tools of its own the model must call one: a real tool, or the JSON tool for its final answer.
  if (setup.tools.length > 0 && choice?.type !== 'none') return { type: 'any', ...serial };
  return { type: 'tool', name, disable_parallel_tool_use: true };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[\d\s().-]{7,}$/;

/** Anthropic: user_id must not identify a person; LiteLLM's _valid_user_id likewise skips emails and phones. */
function metadata(body: JsonObject): Fields<'metadata'> {
  const user = asString(body.user) ?? asString(body.safety_identifier);
  if (user === undefined || user === '' || user.length > 256 || EMAIL.test(user) || PHONE.test(user)) return {};
  return { metadata: { user_id: user } };
}

export { JSON_TOOL_NAME, jsonToolNameFor } from './json-response-tool.ts';
