/**
 * Token counts in one shape for both dialects (translation.md §3.3). OpenAI's prompt_tokens includes
 * cached tokens; Anthropic's input_tokens excludes them. Here inputTokens is always the uncached part.
 */
export interface TokenUsage {
  /** Uncached input tokens. */
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the prompt cache. */
  cachedInputTokens: number;
  /** Input tokens written to the prompt cache. */
  cacheWriteTokens: number;
  /** Output tokens spent on reasoning (OpenAI's reasoning_tokens, Anthropic's thinking): a part of outputTokens, not added to it. */
  reasoningTokens: number;
}

export const ZERO_USAGE: Readonly<TokenUsage> = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
});
