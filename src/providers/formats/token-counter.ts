import { createRequire } from 'node:module';
import type * as O200k from 'gpt-tokenizer/encoding/o200k_base';
import { asRecord, asString, isRecord } from './json-value.ts';

/**
 * Local token counts for POST /v1/messages/count_tokens on non-Anthropic models and for the mock
 * provider, with the o200k_base BPE (GPT-4o and later). For Claude models the count is an estimate:
 * Anthropic's tokenizer is not public. See docs/adr/0002-gpt-tokenizer.md.
 *
 * Counting runs synchronously; token-count-pool.ts moves large bodies off the event loop, using
 * countedTextLength() to tell large from small without tokenizing.
 */

/** Fixed estimates for media: Anthropic bills an image at about width×height/750, at most ~1600. */
const IMAGE_TOKENS = 1600;
const DOCUMENT_TOKENS = 2000;
/** OpenAI's chat format adds about 3 tokens per message and 3 to prime the reply (openai-cookbook). */
const PER_MESSAGE_TOKENS = 3;
const REPLY_PRIMING_TOKENS = 3;

/**
 * gpt-tokenizer's BPE merge is quadratic in the length of one pre-token (a run of letters, CJK or
 * punctuation with no break): measured with Node 24 on the dev machine, one 65 536-letter word took
 * 2.4 s and a 262 144-letter one 38 s. Text longer than this is therefore counted in chunks of at most
 * this many characters, cut where possible before a single space between two non-spaces, which is
 * always a pre-token boundary, so prose and code count exactly as unchunked (checked on 1 M characters
 * of this repository's docs and sources). Only runs of 128+ characters without such a space are cut
 * mid-run, adding about one token per cut (+0.5% on minified JSON, +0.1% on base64). With 256, random
 * worst-case text costs ~3.5 µs per character (random letters) to ~8 µs (random CJK); with 512 the CJK
 * figure was ~9 µs, with 128 ~5 µs but prose was no longer exact.
 */
const CHUNK_CHARS = 256;
const SPACE = 0x20;

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
  if (input === '') return 0;
  const bpe = loadTokenizer();
  if (input.length <= CHUNK_CHARS) return bpe.countTokens(input, PLAIN_TEXT);
  let total = 0;
  for (let start = 0; start < input.length;) {
    const end = chunkEnd(input, start);
    total += bpe.countTokens(input.slice(start, end), PLAIN_TEXT);
    start = end;
  }
  return total;
}

/** Where the chunk that starts at `start` ends: before a lone space in its second half, else at the limit. */
function chunkEnd(text: string, start: number): number {
  const limit = start + CHUNK_CHARS;
  if (limit >= text.length) return text.length;
  for (let cut = limit; cut > start + CHUNK_CHARS / 2; cut--) {
    if (text.charCodeAt(cut) === SPACE && !isWhitespace(text.charCodeAt(cut - 1)) && !isWhitespace(text.charCodeAt(cut + 1))) return cut;
  }
  return isHighSurrogate(text.charCodeAt(limit - 1)) ? limit - 1 : limit;
}

/** The characters of the tokenizer's `\s` (JavaScript's White_Space and line terminators). */
function isWhitespace(code: number): boolean {
  return code === SPACE || (code >= 0x09 && code <= 0x0d) || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a)
    || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * What the body walker adds up. The same walk gives the token count and, with CHARACTERS, the number of
 * characters the count would tokenize, so the two can never disagree about which fields are counted.
 */
interface Measure {
  /** A text the count tokenizes. */
  readonly text: (text: string) => number;
  /** A value the count tokenizes as its JSON. */
  readonly json: (value: unknown) => number;
  /** A fixed token estimate (per-message overhead, an image). */
  readonly fixed: (tokens: number) => number;
}

const TOKENS: Measure = { text: countTokens, json: (value) => countTokens(JSON.stringify(value)), fixed: (tokens) => tokens };
const CHARACTERS: Measure = { text: (text) => text.length, json: (value) => JSON.stringify(value).length, fixed: () => 0 };

/**
 * Input tokens of an Anthropic count_tokens / Messages body or an OpenAI chat body: system, messages
 * (every block type of both dialects) and tool definitions. Unknown shapes count what text they have.
 */
export function countMessageTokens(body: unknown): number {
  return measureBody(body, TOKENS);
}

/**
 * Exactly how many characters countMessageTokens(body) would tokenize, found without tokenizing. Cheap:
 * string lengths are O(1), and the JSON-counted values (tools, tool_use inputs) are stringified, which V8
 * does in about half the time JSON.parse took for the same body (measured: 17 ms against 35 ms for a
 * tool input of 1.5 M numbers); a hand-written length walk was 3× slower than that parse.
 */
export function countedTextLength(body: unknown): number {
  return measureBody(body, CHARACTERS);
}

function measureBody(body: unknown, m: Measure): number {
  const request = asRecord(body);
  const messages: unknown[] = Array.isArray(request.messages) ? request.messages : [];
  const tools: unknown[] = Array.isArray(request.tools) ? request.tools : [];
  let total = m.fixed(REPLY_PRIMING_TOKENS) + measureContent(request.system, m);
  for (const message of messages) total += measureMessage(asRecord(message), m);
  for (const tool of tools) total += m.json(tool);
  return total;
}

function measureMessage(message: Record<string, unknown>, m: Measure): number {
  const calls: unknown[] = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  let total = m.fixed(PER_MESSAGE_TOKENS) + m.text(asString(message.role) ?? '') + measureContent(message.content, m);
  for (const call of calls) total += measureToolCall(asRecord(asRecord(call).function), m);
  return total;
}

function measureToolCall(fn: Record<string, unknown>, m: Measure): number {
  return m.text(asString(fn.name) ?? '') + m.text(asString(fn.arguments) ?? '');
}

function measureContent(content: unknown, m: Measure): number {
  if (typeof content === 'string') return m.text(content);
  if (!Array.isArray(content)) return 0;
  return content.reduce((sum: number, block: unknown) => sum + measureBlock(block, m), 0);
}

function measureBlock(block: unknown, m: Measure): number {
  if (!isRecord(block)) return 0;
  switch (block.type) {
    case 'text':
      return m.text(asString(block.text) ?? '');
    case 'image':
    case 'image_url':
      return m.fixed(IMAGE_TOKENS);
    case 'document':
    case 'file':
      return measureDocument(asRecord(block.source), m);
    case 'tool_use':
      return m.text(asString(block.name) ?? '') + m.json(block.input ?? {});
    case 'tool_result':
      return measureContent(block.content, m);
    case 'thinking':
      return m.text(asString(block.thinking) ?? '');
    case 'refusal':
      return m.text(asString(block.refusal) ?? '');
    default:
      return m.text(asString(block.text) ?? '');
  }
}

/** Plain-text documents are counted; binary ones (PDF pages) get a fixed estimate. */
function measureDocument(source: Record<string, unknown>, m: Measure): number {
  return source.type === 'text' ? m.text(asString(source.data) ?? '') : m.fixed(DOCUMENT_TOKENS);
}
