import { createRequire } from 'node:module';
import type * as O200k from 'gpt-tokenizer/encoding/o200k_base';
import { asRecord, asString, isRecord } from './json-value.ts';

/**
 * Local token counts for POST /v1/messages/count_tokens on non-Anthropic models and for the mock
 * provider, with the o200k_base BPE (GPT-4o and later). For Claude models the count is an estimate:
 * Anthropic's tokenizer is not public. See docs/adr/0002-gpt-tokenizer.md.
 */

/** Fixed estimates for media: Anthropic bills an image at about width×height/750, at most ~1600. */
const IMAGE_TOKENS = 1600;
const DOCUMENT_TOKENS = 2000;
/** OpenAI's chat format adds about 3 tokens per message and 3 to prime the reply (openai-cookbook). */
const PER_MESSAGE_TOKENS = 3;
const REPLY_PRIMING_TOKENS = 3;

/** Special-token text such as "<|endoftext|>" in user input is counted as plain text, never rejected. */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

type Tokenizer = typeof O200k;
let tokenizer: Tokenizer | undefined;

/**
 * Loaded on first use: importing the encoding costs ~150 ms at startup (measured with Node 24 on the dev
 * machine), which only count_tokens and the mock provider need. require() keeps countTokens synchronous.
 */
function loadTokenizer(): Tokenizer {
  tokenizer ??= createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as Tokenizer;
  return tokenizer;
}

export function countTokens(input: string): number {
  return input === '' ? 0 : loadTokenizer().countTokens(input, PLAIN_TEXT);
}

/**
 * Input tokens of an Anthropic count_tokens / Messages body or an OpenAI chat body: system, messages
 * (every block type of both dialects) and tool definitions. Unknown shapes count what text they have.
 */
export function countMessageTokens(body: unknown): number {
  const request = asRecord(body);
  const messages: unknown[] = Array.isArray(request.messages) ? request.messages : [];
  const tools: unknown[] = Array.isArray(request.tools) ? request.tools : [];
  let total = REPLY_PRIMING_TOKENS + contentTokens(request.system);
  for (const message of messages) total += messageTokens(asRecord(message));
  for (const tool of tools) total += countTokens(JSON.stringify(tool));
  return total;
}

function messageTokens(message: Record<string, unknown>): number {
  const calls: unknown[] = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  let total = PER_MESSAGE_TOKENS + countTokens(asString(message.role) ?? '') + contentTokens(message.content);
  for (const call of calls) total += toolCallTokens(asRecord(asRecord(call).function));
  return total;
}

function toolCallTokens(fn: Record<string, unknown>): number {
  return countTokens(asString(fn.name) ?? '') + countTokens(asString(fn.arguments) ?? '');
}

function contentTokens(content: unknown): number {
  if (typeof content === 'string') return countTokens(content);
  if (!Array.isArray(content)) return 0;
  return content.reduce((sum: number, block: unknown) => sum + blockTokens(block), 0);
}

function blockTokens(block: unknown): number {
  if (!isRecord(block)) return 0;
  switch (block.type) {
    case 'text':
      return countTokens(asString(block.text) ?? '');
    case 'image':
    case 'image_url':
      return IMAGE_TOKENS;
    case 'document':
    case 'file':
      return documentTokens(asRecord(block.source));
    case 'tool_use':
      return countTokens(asString(block.name) ?? '') + countTokens(JSON.stringify(block.input ?? {}));
    case 'tool_result':
      return contentTokens(block.content);
    case 'thinking':
      return countTokens(asString(block.thinking) ?? '');
    case 'refusal':
      return countTokens(asString(block.refusal) ?? '');
    default:
      return countTokens(asString(block.text) ?? '');
  }
}

/** Plain-text documents are counted; binary ones (PDF pages) get a fixed estimate. */
function documentTokens(source: Record<string, unknown>): number {
  return source.type === 'text' ? countTokens(asString(source.data) ?? '') : DOCUMENT_TOKENS;
}
