import type { AnthropicThinkingConfig } from './anthropic-types.ts';
import type { OpenAIReasoningEffort } from './openai-types.ts';
import { asNumber, asRecord, type JsonObject } from './json-value.ts';
import { invalidRequest, untranslatable, type RefusingTarget } from './request-errors.ts';

/**
 * Upstream ids of models that reason. OpenAI: o1, o3, o4, gpt-5 (not gpt-5-chat), gpt-oss. Anthropic (extended
 * thinking): claude-3-7-sonnet and every named family from generation 4 on (claude-sonnet-4*, claude-opus-4*,
 * claude-haiku-4-5*, claude-*-5*, …); older ids put the generation first (claude-3-5-sonnet) and do not match.
 */
const REASONING_IDS = /^(?:o[134]|gpt-5(?!-chat)|gpt-oss|claude-(?:3-7-sonnet|[a-z]+-(?:[4-9]|[1-9]\d)))/i;

/**
 * Whether a model reasons: the config's models[].reasoning when set, else judged from the upstream id. A vendor
 * prefix ("openai/o3" on OpenRouter) is ignored.
 */
export function modelReasons(model: string, configured: boolean | undefined): boolean {
  if (configured !== undefined) return configured;
  return REASONING_IDS.test(model.slice(model.lastIndexOf('/') + 1));
}

/** The refusal clause for reasoning asked of a model that does not reason, saying how that was decided. */
function noReasoning(configured: boolean | undefined): string {
  return configured === false
    ? 'the model does not reason (its models entry says reasoning: false)'
    : 'the model does not reason, judging by its id (a models entry with reasoning: true says otherwise)';
}

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
 * reasoning_effort → thinking for one Claude model. A model that does not think gets no thinking field for
 * "none" (exactly what it does anyway) and refuses any other effort.
 */
export function thinkingForModel(effort: unknown, target: RefusingTarget, configured: boolean | undefined): AnthropicThinkingConfig | undefined {
  const thinking = thinkingFromReasoningEffort(effort);
  if (thinking === undefined || modelReasons(target.model, configured)) return thinking;
  if (thinking.type === 'disabled') return undefined;
  throw untranslatable(target, 'reasoning_effort', 'reasoning_effort', noReasoning(configured));
}

/**
 * thinking / output_config.effort → reasoning_effort for one OpenAI model. A model that does not reason refuses
 * them, at thinking when it is enabled, else at output_config.effort. Adaptive thinking without an effort asks
 * for nothing a model that never reasons fails to do, so it passes.
 */
export function reasoningEffortForModel(body: JsonObject, target: RefusingTarget, configured: boolean | undefined): OpenAIReasoningEffort | undefined {
  const effort = reasoningEffortFromAnthropic(body.thinking, body.output_config);
  if (effort === undefined || modelReasons(target.model, configured)) return effort;
  if (asRecord(body.thinking).type === 'enabled') throw untranslatable(target, 'thinking', 'thinking', noReasoning(configured));
  throw untranslatable(target, 'output_config', 'output_config.effort', noReasoning(configured));
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
