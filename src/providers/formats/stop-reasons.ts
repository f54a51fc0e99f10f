import type { AnthropicStopReason } from './anthropic-types.ts';
import type { OpenAIFinishReason } from './openai-types.ts';

/**
 * Anthropic stop_reason → OpenAI finish_reason (translation.md §3.2). `jsonToolOnly` says the only tool
 * called was the JSON-mode emulation tool, whose call is the answer itself, so the turn ended normally.
 */
export function anthropicStopToOpenAIFinish(stopReason: unknown, jsonToolOnly = false): OpenAIFinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return jsonToolOnly ? 'stop' : 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn and anything newer all read as a normal end.
      return 'stop';
  }
}

/** OpenAI finish_reason → Anthropic stop_reason; missing or unknown values read as end_turn. */
export function openaiFinishToAnthropicStop(finishReason: unknown): AnthropicStopReason {
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}
