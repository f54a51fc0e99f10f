import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicStopToOpenAIFinish, openaiFinishToAnthropicStop } from './stop-reasons.ts';

describe('anthropicStopToOpenAIFinish', () => {
  const table = [
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['pause_turn', 'stop'],
    ['refusal', 'content_filter'],
    [null, 'stop'],
    [undefined, 'stop'],
    ['some_future_reason', 'stop'],
  ] as const;
  for (const [stop, finish] of table) {
    it(`${String(stop)} → ${finish}`, () => assert.equal(anthropicStopToOpenAIFinish(stop), finish));
  }

  it('reads tool_use as stop when only the JSON-mode tool was called', () => {
    assert.equal(anthropicStopToOpenAIFinish('tool_use', true), 'stop');
    assert.equal(anthropicStopToOpenAIFinish('max_tokens', true), 'length', 'a JSON answer cut short is still cut short');
  });
});

describe('openaiFinishToAnthropicStop', () => {
  const table = [
    ['stop', 'end_turn'],
    ['length', 'max_tokens'],
    ['tool_calls', 'tool_use'],
    ['function_call', 'tool_use'],
    ['content_filter', 'refusal'],
    [null, 'end_turn'],
    [42, 'end_turn'],
    ['eos', 'end_turn'],
  ] as const;
  for (const [finish, stop] of table) {
    it(`${String(finish)} → ${stop}`, () => assert.equal(openaiFinishToAnthropicStop(finish), stop));
  }
});
