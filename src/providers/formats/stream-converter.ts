import type { SseConverter } from '../../upstream/stream-relay.ts';
import type { WireFormat } from '../provider-adapter.ts';
import { AnthropicToOpenAIStream } from './anthropic-to-openai-stream.ts';
import { OpenAIToAnthropicStream } from './openai-to-anthropic-stream.ts';
import { StreamTap } from './stream-tap.ts';
import type { UpstreamCall } from './upstream-call.ts';

/** The converter a relayed stream goes through: a translator when the dialects differ, else the tap. */
export function streamConverterFor(call: UpstreamCall, callerFormat: WireFormat, model: string): SseConverter {
  if (call.translation === 'anthropic-to-openai') {
    return new AnthropicToOpenAIStream({ model, includeUsage: call.includeUsage, ...(call.jsonToolName ? { jsonToolName: call.jsonToolName } : {}) });
  }
  if (call.translation === 'openai-to-anthropic') return new OpenAIToAnthropicStream({ model });
  return new StreamTap(callerFormat, call.dropUsageChunk);
}
