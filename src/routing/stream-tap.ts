import type { SseEvent } from '../providers/formats/sse-parser.ts';
import { sseEncode } from '../providers/formats/sse-parser.ts';
import { usageFromAnthropic, usageFromOpenAI, type TokenUsage } from '../providers/formats/usage.ts';
import type { WireFormat } from '../providers/provider-adapter.ts';

const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const ERROR_FIRST = /^\s*\{\s*"error"\s*:/;
const NO_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 });

/**
 * Reads a same-format stream on its way through: collects usage, notices the end marker and, when we asked
 * upstream for a usage chunk the caller did not want, drops it. Same push/end shape as the translators.
 */
export class StreamTap {
  readonly #format: WireFormat;
  readonly #dropUsageChunk: boolean;
  usage: TokenUsage = NO_USAGE;
  finished = false;
  failed = false;

  constructor(format: WireFormat, dropUsageChunk: boolean) {
    this.#format = format;
    this.#dropUsageChunk = dropUsageChunk;
  }

  /** Returns the text to forward for this event (only used when not forwarding raw bytes). */
  push(event: SseEvent): string {
    return this.#format === 'openai' ? this.#openai(event) : this.#anthropic(event);
  }

  end(): string {
    return '';
  }

  #openai(event: SseEvent): string {
    if (event.data === '[DONE]') {
      this.finished = true;
      return sseEncode(event.data);
    }
    // Most chunks carry `"usage":null` or no usage at all; only a usage object or an error is worth parsing
    // (parsing every chunk doubled the gateway's CPU per stream in the streaming benchmark).
    if (USAGE_OBJECT.test(event.data) || ERROR_FIRST.test(event.data)) {
      const chunk = safeParse(event.data);
      // An error chunk is the provider's last word: the stream is over, and it failed.
      if (chunk?.error !== undefined) this.failed = this.finished = true;
      if (chunk?.usage !== undefined && chunk.usage !== null) {
        this.usage = usageFromOpenAI(chunk.usage);
        if (this.#dropUsageChunk && Array.isArray(chunk.choices) && chunk.choices.length === 0) return '';
      }
    }
    return sseEncode(event.data);
  }

  #anthropic(event: SseEvent): string {
    const type = event.event;
    if (type === 'message_stop') this.finished = true;
    else if (type === 'error') this.failed = this.finished = true;
    else if (type === 'message_start' || type === 'message_delta') this.#anthropicUsage(event.data, type);
    return sseEncode(event.data, type);
  }

  #anthropicUsage(data: string, type: string): void {
    const parsed = safeParse(data);
    const raw = type === 'message_start' ? (parsed?.message as Record<string, unknown> | undefined)?.usage : parsed?.usage;
    if (raw === undefined || raw === null) return;
    // message_delta usage is cumulative: fields it carries overwrite, fields it lacks keep their value.
    const next = usageFromAnthropic(raw);
    const fields = raw as Record<string, unknown>;
    this.usage = {
      inputTokens: fields.input_tokens == null ? this.usage.inputTokens : next.inputTokens,
      outputTokens: fields.output_tokens == null ? this.usage.outputTokens : next.outputTokens,
      cachedInputTokens: fields.cache_read_input_tokens == null ? this.usage.cachedInputTokens : next.cachedInputTokens,
      cacheWriteTokens: fields.cache_creation_input_tokens == null ? this.usage.cacheWriteTokens : next.cacheWriteTokens,
    };
  }
}

function safeParse(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return value !== null && typeof value === 'object' ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}
