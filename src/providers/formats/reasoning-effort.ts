import type { AnthropicThinkingConfig } from './anthropic-types.ts';
import type { OpenAIReasoningEffort } from './openai-types.ts';
import { asNumber, asRecord } from './json-value.ts';
import { invalidRequest } from './request-errors.ts';

/**
 * reasoning_effort → thinking budget. low/medium/high are LiteLLM's defaults
 * (DEFAULT_REASONING_EFFORT_*_THINKING_BUDGET); minimal is Anthropic's floor (1024); xhigh and max
 * continue the doubling.
 */
const THINKING_BUDGETS = new Map<string, number>([
  ['minimal', 1024],
  ['low', 1024],
  ['medium', 2048],
  ['high', 4096],
  ['xhigh', 8192],
  ['max', 16384],
]);

const OPENAI_EFFORTS = new Set<string>(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);

export function thinkingFromReasoningEffort(effort: unknown): AnthropicThinkingConfig | undefined {
  if (effort === undefined || effort === null) return undefined;
  if (effort === 'none') return { type: 'disabled' };
  const budget = typeof effort === 'string' ? THINKING_BUDGETS.get(effort) : undefined;
  if (budget === undefined) {
    throw invalidRequest('reasoning_effort', 'must be one of none, minimal, low, medium, high, xhigh, max');
  }
  return { type: 'enabled', budget_tokens: budget };
}

/**
 * Anthropic output_config.effort (same vocabulary) wins; otherwise an enabled thinking budget maps by
 * LiteLLM's thresholds (≥10000 high, ≥5000 medium), except that small budgets become "low", not
 * "minimal", because o-series models reject "minimal".
 */
export function reasoningEffortFromAnthropic(thinking: unknown, outputConfig: unknown): OpenAIReasoningEffort | undefined {
  const effort = asRecord(outputConfig).effort;
  if (typeof effort === 'string' && OPENAI_EFFORTS.has(effort)) return effort as OpenAIReasoningEffort;
  const config = asRecord(thinking);
  if (config.type !== 'enabled') return undefined;
  const budget = asNumber(config.budget_tokens) ?? 0;
  if (budget >= 10_000) return 'high';
  return budget >= 5_000 ? 'medium' : 'low';
}
