import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeAnthropicUsage, usageFromAnthropic, usageFromOpenAI, usageToAnthropic, usageToOpenAI, ZERO_USAGE, type TokenUsage } from './usage.ts';

/** OpenAI's documented cache example (openai/openai-python#2544): prompt 2006 of which 1920 cached. */
const OPENAI_CACHED = {
  prompt_tokens: 2006,
  completion_tokens: 300,
  total_tokens: 2306,
  prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0 },
};

/** Anthropic message usage with both a cache read and a cache write. */
const ANTHROPIC_CACHED = { input_tokens: 25, cache_creation_input_tokens: 1200, cache_read_input_tokens: 3400, output_tokens: 15 };

describe('usageFromOpenAI', () => {
  it('takes cached tokens out of prompt_tokens so inputTokens is the uncached part', () => {
    assert.deepEqual(usageFromOpenAI(OPENAI_CACHED), { inputTokens: 86, outputTokens: 300, cachedInputTokens: 1920, cacheWriteTokens: 0, reasoningTokens: 0 });
  });

  it('takes cache writes out too', () => {
    const u = { prompt_tokens: 1000, completion_tokens: 10, total_tokens: 1010, prompt_tokens_details: { cached_tokens: 200, cache_write_tokens: 700 } };
    assert.deepEqual(usageFromOpenAI(u), { inputTokens: 100, outputTokens: 10, cachedInputTokens: 200, cacheWriteTokens: 700, reasoningTokens: 0 });
  });

  it('reads a usage without details', () => {
    assert.deepEqual(usageFromOpenAI({ prompt_tokens: 16, completion_tokens: 300, total_tokens: 316 }), { inputTokens: 16, outputTokens: 300, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
  });

  it('turns missing or garbage fields into 0 and never goes negative', () => {
    for (const garbage of [undefined, null, 'usage', 42, [], {}, { prompt_tokens: 'many', completion_tokens: -3 }, { prompt_tokens: Number.NaN }, { prompt_tokens_details: 'x' }]) {
      assert.deepEqual(usageFromOpenAI(garbage), ZERO_USAGE, JSON.stringify(garbage));
    }
    assert.equal(usageFromOpenAI({ prompt_tokens: 5, prompt_tokens_details: { cached_tokens: 9 } }).inputTokens, 0);
  });

  it('floors fractional counts', () => {
    assert.equal(usageFromOpenAI({ prompt_tokens: 10.7, completion_tokens: 2.2 }).inputTokens, 10);
  });
});

describe('usageFromAnthropic', () => {
  it('maps each field', () => {
    assert.deepEqual(usageFromAnthropic(ANTHROPIC_CACHED), { inputTokens: 25, outputTokens: 15, cachedInputTokens: 3400, cacheWriteTokens: 1200, reasoningTokens: 0 });
  });

  it('treats null cache fields and garbage as 0', () => {
    assert.deepEqual(usageFromAnthropic({ input_tokens: 43, output_tokens: 1, cache_creation_input_tokens: null, cache_read_input_tokens: null }), { inputTokens: 43, outputTokens: 1, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    assert.deepEqual(usageFromAnthropic('nope'), ZERO_USAGE);
    assert.deepEqual(usageFromAnthropic({ input_tokens: '12', output_tokens: Number.POSITIVE_INFINITY }), ZERO_USAGE);
  });
});

describe('mergeAnthropicUsage', () => {
  const start = usageFromAnthropic({ input_tokens: 43, cache_creation_input_tokens: 0, cache_read_input_tokens: 500, output_tokens: 1 });

  it('overwrites fields the message_delta carries and never adds', () => {
    const merged = mergeAnthropicUsage(start, { output_tokens: 20 });
    assert.deepEqual(merged, { inputTokens: 43, outputTokens: 20, cachedInputTokens: 500, cacheWriteTokens: 0, reasoningTokens: 0 });
    assert.deepEqual(mergeAnthropicUsage(merged, { output_tokens: 20 }), merged, 'the same cumulative delta twice changes nothing');
  });

  it('takes a changed input_tokens from message_delta (43 → 61)', () => {
    assert.equal(mergeAnthropicUsage(start, { input_tokens: 61, output_tokens: 20 }).inputTokens, 61);
  });

  it('keeps values for fields that are null or absent', () => {
    assert.deepEqual(mergeAnthropicUsage(start, { cache_read_input_tokens: null, output_tokens: 9 }), { ...start, outputTokens: 9 });
  });

  it('returns a copy and leaves its input alone', () => {
    const frozen = Object.freeze({ ...start });
    assert.notEqual(mergeAnthropicUsage(frozen, {}), frozen);
    assert.deepEqual(mergeAnthropicUsage(frozen, 'garbage'), start);
  });
});

describe('usageToOpenAI', () => {
  it('puts cache reads and writes back into prompt_tokens so prompt + completion == total', () => {
    const u = usageToOpenAI(usageFromAnthropic(ANTHROPIC_CACHED));
    assert.deepEqual(u, {
      prompt_tokens: 4625,
      completion_tokens: 15,
      total_tokens: 4640,
      prompt_tokens_details: { cached_tokens: 3400, cache_write_tokens: 1200 },
    });
    assert.equal(u.prompt_tokens + u.completion_tokens, u.total_tokens);
  });

  it('round-trips OpenAI usage through TokenUsage', () => {
    const back = usageToOpenAI(usageFromOpenAI(OPENAI_CACHED));
    assert.equal(back.prompt_tokens, 2006);
    assert.equal(back.total_tokens, 2306);
    assert.equal(back.prompt_tokens_details?.cached_tokens, 1920);
  });
});

describe('usageToAnthropic', () => {
  it('keeps input_tokens uncached and reports cache fields separately', () => {
    assert.deepEqual(usageToAnthropic(usageFromOpenAI(OPENAI_CACHED)), { input_tokens: 86, output_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 1920 });
  });

  it('keeps the total across both translations', () => {
    const t: TokenUsage = { inputTokens: 7, outputTokens: 11, cachedInputTokens: 13, cacheWriteTokens: 17, reasoningTokens: 0 };
    const a = usageToAnthropic(t);
    const o = usageToOpenAI(usageFromAnthropic(a));
    assert.equal(a.input_tokens + (a.cache_creation_input_tokens ?? 0) + (a.cache_read_input_tokens ?? 0), o.prompt_tokens);
    assert.deepEqual(usageFromOpenAI(o), t);
  });

  it('reads reasoning tokens (a part of the output, not added to it) from both dialects', () => {
    const o = usageFromOpenAI({ prompt_tokens: 10, completion_tokens: 300, completion_tokens_details: { reasoning_tokens: 256 } });
    assert.deepEqual([o.outputTokens, o.reasoningTokens], [300, 256]);
    const a = usageFromAnthropic({ input_tokens: 10, output_tokens: 300, output_tokens_details: { thinking_tokens: 200 } });
    assert.deepEqual([a.outputTokens, a.reasoningTokens], [300, 200]);
    assert.equal(usageFromOpenAI({ prompt_tokens: 1, completion_tokens: 1, completion_tokens_details: { reasoning_tokens: 'x' } }).reasoningTokens, 0);
  });
});
