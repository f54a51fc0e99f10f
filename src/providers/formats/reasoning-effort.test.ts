import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors/gateway-error.ts';
import { reasoningEffortFromAnthropic, thinkingFromReasoningEffort } from './reasoning-effort.ts';

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
