import type { ResponsesUsage } from './responses-types.ts';
import type { TokenUsage } from './usage.ts';

/**
 * TokenUsage → Responses usage. Like Chat Completions' prompt_tokens, input_tokens counts cached tokens
 * too (cached_tokens is a part of it), so the uncached part is added back. total is recomputed so that
 * input + output = total always holds, whatever the upstream summed (translation.md §3.3).
 */
export function responsesUsage(t: Readonly<TokenUsage>): ResponsesUsage {
  const input = t.inputTokens + t.cachedInputTokens + t.cacheWriteTokens;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: t.cachedInputTokens, cache_write_tokens: t.cacheWriteTokens },
    output_tokens: t.outputTokens,
    output_tokens_details: { reasoning_tokens: t.reasoningTokens },
    total_tokens: input + t.outputTokens,
  };
}
