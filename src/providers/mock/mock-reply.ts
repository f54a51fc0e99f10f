/**
 * What the mock model "says": a deterministic answer to the conversation, and the stop / max-tokens
 * limits applied to it the way a real model applies them.
 */
import { countTokens } from '../formats/token-counter.ts';
import { isObject, type ChatMessage } from './parse-chat-request.ts';

/** How much of the user's text (or of each tool result) is quoted back. */
const QUOTE_CHARS = 200;

export interface MessageText {
  readonly text: string;
  readonly images: number;
}

/** The text of a message's content (string, or text/refusal parts joined) and how many images it carries. */
export function messageText(content: unknown): MessageText {
  if (typeof content === 'string') return { text: content, images: 0 };
  if (!Array.isArray(content)) return { text: '', images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const part of content) {
    if (!isObject(part)) continue;
    if (part.type === 'image_url') images++;
    else if (typeof part.text === 'string') texts.push(part.text);
    else if (typeof part.refusal === 'string') texts.push(part.refusal);
  }
  return { text: texts.join('\n'), images };
}

/** Every piece of text in the conversation, tool-call names and arguments included: what prompt_tokens counts. */
export function promptTokens(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const message of messages) {
    total += countTokens(messageText(message.content).text);
    for (const call of message.tool_calls ?? []) {
      total += countTokens(call.function?.name ?? '') + countTokens(call.function?.arguments ?? '');
    }
  }
  return total;
}

/**
 * Answers the last user message, or, right after tool results, the results themselves. Choice `index` > 0
 * gets a variant marker so n > 1 choices differ, as a sampled model's would.
 */
export function replyText(messages: readonly ChatMessage[], index = 0): string {
  const last = messages.at(-1);
  const base = last?.role === 'tool' ? toolResultsReply(messages) : userReply(messages);
  return index === 0 ? base : `${base} (variant ${index + 1})`;
}

function userReply(messages: readonly ChatMessage[]): string {
  const user = messages.findLast((m) => m.role === 'user');
  const { text, images } = messageText(user?.content);
  const imageNote = images === 0 ? '' : ` (with ${images} image${images === 1 ? '' : 's'})`;
  return `Mock reply to: "${quote(text)}"${imageNote}`;
}

/** Names each result by the tool that was called, found through the assistant message's tool_call ids. */
function toolResultsReply(messages: readonly ChatMessage[]): string {
  const firstResult = messages.findLastIndex((m) => m.role !== 'tool') + 1;
  const names = toolCallNames(messages.slice(0, firstResult));
  const results = messages.slice(firstResult).map((m) => {
    const name = names.get(m.tool_call_id ?? '') ?? 'tool';
    return `${name} returned ${quote(messageText(m.content).text)}`;
  });
  return `Mock answer using the tool results: ${results.join('; ')}.`;
}

function toolCallNames(messages: readonly ChatMessage[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of messages) {
    for (const call of message.tool_calls ?? []) {
      if (call.id !== undefined && call.function?.name !== undefined) names.set(call.id, call.function.name);
    }
  }
  return names;
}

function quote(text: string): string {
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
}

export interface LimitedReply {
  readonly text: string;
  readonly finishReason: 'stop' | 'length';
}

/**
 * Cuts the reply at the first stop sequence (finish "stop"), then to at most `maxTokens` tokens by the
 * shared counter (finish "length"). Truncation is at a word boundary, so the result may be a little under
 * the limit, never over it.
 */
export function limitReply(text: string, stop: readonly string[], maxTokens: number | undefined): LimitedReply {
  const stopped = cutAtStop(text, stop);
  if (maxTokens === undefined || countTokens(stopped) <= maxTokens) return { text: stopped, finishReason: 'stop' };
  return { text: truncateToTokens(stopped, maxTokens), finishReason: 'length' };
}

function cutAtStop(text: string, stop: readonly string[]): string {
  let end = text.length;
  for (const sequence of stop) {
    const at = text.indexOf(sequence);
    if (at !== -1 && at < end) end = at;
  }
  return text.slice(0, end);
}

/** The longest prefix of whole words within `maxTokens` (binary search; the count grows with the prefix). */
function truncateToTokens(text: string, maxTokens: number): string {
  const words = splitWords(text);
  let low = 0;
  let high = words.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (countTokens(words.slice(0, mid).join('')) <= maxTokens) low = mid;
    else high = mid - 1;
  }
  return words.slice(0, low).join('');
}

/** Words with their leading whitespace, so joining the pieces gives the text back exactly. */
export function splitWords(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}
