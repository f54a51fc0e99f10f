import type { AnthropicUsage } from './anthropic-types.ts';
import type { OpenAIUsage } from './openai-types.ts';
import { isRecord } from './json-value.ts';
import { ZERO_USAGE, type TokenUsage } from '../../domain/token-usage.ts';

export { ZERO_USAGE, type TokenUsage };

/** A token count from untrusted JSON: anything but a non-negative finite number counts as 0. */
function tokens(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function usageFromOpenAI(u: unknown): TokenUsage {
  if (!isRecord(u)) return { ...ZERO_USAGE };
  const details = isRecord(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const cached = tokens(details.cached_tokens);
  const written = tokens(details.cache_write_tokens);
  const completion = isRecord(u.completion_tokens_details) ? u.completion_tokens_details : {};
  return {
    inputTokens: Math.max(0, tokens(u.prompt_tokens) - cached - written),
    outputTokens: tokens(u.completion_tokens),
    cachedInputTokens: cached,
    cacheWriteTokens: written,
    reasoningTokens: tokens(completion.reasoning_tokens),
  };
}

/** The Responses API's usage object (input_tokens counts the cached ones too, as prompt_tokens does in chat). */
export function usageFromResponses(u: unknown): TokenUsage {
  if (!isRecord(u)) return { ...ZERO_USAGE };
  const cached = tokens(isRecord(u.input_tokens_details) ? u.input_tokens_details.cached_tokens : 0);
  return {
    inputTokens: Math.max(0, tokens(u.input_tokens) - cached),
    outputTokens: tokens(u.output_tokens),
    cachedInputTokens: cached,
    cacheWriteTokens: 0,
    reasoningTokens: tokens(isRecord(u.output_tokens_details) ? u.output_tokens_details.reasoning_tokens : 0),
  };
}

export function usageFromAnthropic(u: unknown): TokenUsage {
  return mergeAnthropicUsage(ZERO_USAGE, u);
}

/**
 * Applies one streamed Anthropic usage object: each field present overwrites, absent or null fields keep
 * their value. message_delta usage is cumulative, so adding would double count (Anthropic SDK MessageStream).
 */
export function mergeAnthropicUsage(current: Readonly<TokenUsage>, u: unknown): TokenUsage {
  const next = { ...current };
  if (!isRecord(u)) return next;
  if (u.input_tokens != null) next.inputTokens = tokens(u.input_tokens);
  if (u.output_tokens != null) next.outputTokens = tokens(u.output_tokens);
  if (u.cache_read_input_tokens != null) next.cachedInputTokens = tokens(u.cache_read_input_tokens);
  if (u.cache_creation_input_tokens != null) next.cacheWriteTokens = tokens(u.cache_creation_input_tokens);
  // Thinking tokens, where the API reports them apart (they are counted in output_tokens either way).
  if (isRecord(u.output_tokens_details) && u.output_tokens_details.thinking_tokens != null) next.reasoningTokens = tokens(u.output_tokens_details.thinking_tokens);
  return next;
}

export function usageToOpenAI(t: Readonly<TokenUsage>): OpenAIUsage {
  const prompt = t.inputTokens + t.cachedInputTokens + t.cacheWriteTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: t.outputTokens,
    total_tokens: prompt + t.outputTokens,
    prompt_tokens_details: { cached_tokens: t.cachedInputTokens, cache_write_tokens: t.cacheWriteTokens },
  };
}

export function usageToAnthropic(t: Readonly<TokenUsage>): AnthropicUsage {
  return {
    input_tokens: t.inputTokens,
    output_tokens: t.outputTokens,
    cache_creation_input_tokens: t.cacheWriteTokens,
    cache_read_input_tokens: t.cachedInputTokens,
  };
}
