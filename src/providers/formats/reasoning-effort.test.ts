import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors/gateway-error.ts';
import { modelReasons, reasoningEffortFromAnthropic, thinkingFromReasoningEffort } from './reasoning-effort.ts';

describe('thinkingFromReasoningEffort', () => {
  it('uses LiteLLM budgets for low/medium/high and Anthropic\'s 1024 floor for minimal', () => {
    assert.deepEqual(thinkingFromReasoningEffort('minimal'), { type: 'enabled', budget_tokens: 1024 });
    assert.deepEqual(thinkingFromReasoningEffort('low'), { type: 'enabled', budget_tokens: 1024 });
    assert.deepEqual(thinkingFromReasoningEffort('medium'), { type: 'enabled', budget_tokens: 2048 });
    assert.deepEqual(thinkingFromReasoningEffort('high'), { type: 'enabled', budget_tokens: 4096 });
    assert.deepEqual(thinkingFromReasoningEffort('xhigh'), { type: 'enabled', budget_tokens: 8192 });
    assert.deepEqual(thinkingFromReasoningEffort('max'), { type: 'enabled', budget_tokens: 16384 });
  });

  it('turns none into disabled and absence into nothing', () => {
    assert.deepEqual(thinkingFromReasoningEffort('none'), { type: 'disabled' });
    assert.equal(thinkingFromReasoningEffort(undefined), undefined);
    assert.equal(thinkingFromReasoningEffort(null), undefined);
  });

  it('rejects unknown values, including prototype names, with param reasoning_effort', () => {
    for (const effort of ['extreme', 'toString', 3]) {
      assert.throws(() => thinkingFromReasoningEffort(effort), (err: unknown) => err instanceof GatewayError && err.code === 'SB_INVALID_REQUEST' && err.param === 'reasoning_effort');
    }
  });
});

describe('reasoningEffortFromAnthropic', () => {
  it('maps budgets by LiteLLM thresholds, small budgets to low', () => {
    assert.equal(reasoningEffortFromAnthropic({ type: 'enabled', budget_tokens: 1024 }, undefined), 'low');
    assert.equal(reasoningEffortFromAnthropic({ type: 'enabled', budget_tokens: 4999 }, undefined), 'low');
    assert.equal(reasoningEffortFromAnthropic({ type: 'enabled', budget_tokens: 5000 }, undefined), 'medium');
    assert.equal(reasoningEffortFromAnthropic({ type: 'enabled', budget_tokens: 10000 }, undefined), 'high');
  });

  it('prefers output_config.effort, which shares OpenAI\'s vocabulary', () => {
    assert.equal(reasoningEffortFromAnthropic({ type: 'enabled', budget_tokens: 20000 }, { effort: 'low' }), 'low');
    assert.equal(reasoningEffortFromAnthropic(undefined, { effort: 'max' }), 'max');
  });

  it('answers nothing for disabled, adaptive without effort, or garbage', () => {
    assert.equal(reasoningEffortFromAnthropic({ type: 'disabled' }, undefined), undefined);
    assert.equal(reasoningEffortFromAnthropic({ type: 'adaptive' }, { effort: 'bogus' }), undefined);
    assert.equal(reasoningEffortFromAnthropic('yes', 7), undefined);
  });
});

describe('modelReasons', () => {
  it('knows OpenAI reasoning models by id, and not their chat variants', () => {
    for (const model of ['o1', 'o1-mini', 'o3-2025-04-16', 'o3-pro', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5.1-codex', 'gpt-oss-120b', 'openai/o3-mini']) {
      assert.equal(modelReasons(model, undefined), true, model);
    }
    for (const model of ['gpt-4o', 'gpt-4.1-mini', 'gpt-5-chat-latest', 'chatgpt-4o-latest', 'gpt-3.5-turbo', 'llama-3.3-70b-versatile', 'omni-moderation-latest']) {
      assert.equal(modelReasons(model, undefined), false, model);
    }
  });

  it('knows Claude models with extended thinking by id', () => {
    for (const model of ['claude-3-7-sonnet-20250219', 'claude-sonnet-4-20250514', 'claude-sonnet-4-5', 'claude-opus-4-1-20250805', 'claude-haiku-4-5-20251001', 'claude-opus-5', 'anthropic/claude-sonnet-4']) {
      assert.equal(modelReasons(model, undefined), true, model);
    }
    for (const model of ['claude-3-5-sonnet-20241022', 'claude-3-5-haiku-latest', 'claude-3-opus-20240229', 'claude-3-haiku-20240307', 'claude-2.1', 'claude-instant-1.2']) {
      assert.equal(modelReasons(model, undefined), false, model);
    }
  });

  it('lets the configured flag win either way', () => {
    assert.equal(modelReasons('deepseek-reasoner', true), true);
    assert.equal(modelReasons('o3', false), false);
  });
});
