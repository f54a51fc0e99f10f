import type { OpenAIContentPart, OpenAIMessage, OpenAIToolCall } from './openai-types.ts';
import { anthropicBlockToOpenAIPart, refuseCacheControl } from './anthropic-content-to-openai.ts';
import type { TranslationTarget } from './drop-params.ts';
import { asRecord, isRecord, type JsonObject } from './json-value.ts';
import { invalidRequest, unsupportedParameter } from './request-errors.ts';
import { argumentsFromToolInput } from './tool-arguments.ts';
import { fromAnthropicToolId } from './tool-call-id.ts';

/**
 * Anthropic `system` + `messages` → OpenAI messages (translation.md §2). `target` decides whether a
 * cache_control on any block is refused or dropped.
 */
export function anthropicMessagesToOpenAI(system: unknown, messages: unknown, target: TranslationTarget): OpenAIMessage[] {
  if (!Array.isArray(messages)) throw invalidRequest('messages', 'must be an array');
  const out = systemMessages(system, 'system', target);
  messages.forEach((message: unknown, i) => out.push(...convertMessage(message, `messages.${i}`, target)));
  return out;
}

/** A text-block array becomes one string joined by "\n" (Envoy joins with no separator, gluing words). */
export function systemText(system: unknown, param: string, target: TranslationTarget): string {
  if (system === undefined || system === null) return '';
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) throw invalidRequest(param, 'must be a string or an array of text blocks');
  return system.map((block: unknown, i) => {
    const text = asRecord(block).text;
    if (asRecord(block).type !== 'text' || typeof text !== 'string') throw invalidRequest(`${param}.${i}`, 'must be a text block');
    refuseCacheControl(asRecord(block), `${param}.${i}`, target);
    return text;
  }).join('\n');
}

function systemMessages(system: unknown, param: string, target: TranslationTarget): OpenAIMessage[] {
  const text = systemText(system, param, target);
  return text === '' ? [] : [{ role: 'system', content: text }];
}

function convertMessage(message: unknown, param: string, target: TranslationTarget): OpenAIMessage[] {
  if (!isRecord(message)) throw invalidRequest(param, 'must be an object');
  switch (message.role) {
    case 'user':
      return userMessages(message.content, `${param}.content`, target);
    case 'assistant':
      return assistantMessages(message.content, `${param}.content`, target);
    case 'system':
      // Newer API versions allow system turns in place; OpenAI takes them in place too.
      return systemMessages(message.content, `${param}.content`, target);
    default:
      throw invalidRequest(`${param}.role`, 'must be user or assistant');
  }
}

/** Every content block passes here, tool results' inner blocks included: the one place cache_control is met. */
function blocksOf(content: unknown, param: string, target: TranslationTarget): JsonObject[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalidRequest(param, 'must be a string or an array of content blocks');
  return content.map((block: unknown, j) => {
    if (!isRecord(block)) throw invalidRequest(`${param}.${j}`, 'must be a content block object');
    refuseCacheControl(block, `${param}.${j}`, target);
    return block;
  });
}

/**
 * Tool results become `tool` messages placed before the rest of the user turn: OpenAI wants them right
 * after the assistant's tool_calls. Images inside results move to the user message, as tool messages
 * carry text only.
 */
function userMessages(content: unknown, param: string, target: TranslationTarget): OpenAIMessage[] {
  const tools: OpenAIMessage[] = [];
  const moved: OpenAIContentPart[] = [];
  const parts: OpenAIContentPart[] = [];
  blocksOf(content, param, target).forEach((block, j) => {
    if (block.type === 'tool_result') {
      const result = toolResult(block, `${param}.${j}`, target);
      tools.push(result.message);
      moved.push(...result.images);
    } else {
      const part = anthropicBlockToOpenAIPart(block, `${param}.${j}`);
      if (part !== undefined) parts.push(part);
    }
  });
  const rest = [...moved, ...parts];
  return rest.length === 0 ? tools : [...tools, { role: 'user', content: userContent(rest) }];
}

/** is_error has no OpenAI field: the "Error: " prefix keeps the fact visible to the model. */
function toolResult(block: JsonObject, param: string, target: TranslationTarget): { message: OpenAIMessage; images: OpenAIContentPart[] } {
  const { text, images } = toolResultContent(block.content, `${param}.content`, target);
  const content = block.is_error === true ? `Error: ${text}` : text;
  return { message: { role: 'tool', tool_call_id: toolUseId(block.tool_use_id, `${param}.tool_use_id`), content }, images };
}

/** A lone text part goes as a plain string: some OpenAI-compatible servers accept nothing else. */
function userContent(parts: OpenAIContentPart[]): string | OpenAIContentPart[] {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only?.type === 'text' ? only.text : parts;
}

function toolResultContent(content: unknown, param: string, target: TranslationTarget): { text: string; images: OpenAIContentPart[] } {
  if (content === undefined || content === null) return { text: '', images: [] };
  const texts: string[] = [];
  const images: OpenAIContentPart[] = [];
  blocksOf(content, param, target).forEach((block, k) => {
    const part = anthropicBlockToOpenAIPart(block, `${param}.${k}`);
    if (part?.type === 'text') texts.push(part.text);
    else if (part !== undefined) images.push(part);
  });
  return { text: texts.join('\n'), images };
}

function toolUseId(id: unknown, param: string): string {
  if (typeof id !== 'string' || id === '') throw invalidRequest(param, 'must be a non-empty string');
  return fromAnthropicToolId(id);
}

/** Text blocks concatenate; tool_use → tool_calls; thinking has no OpenAI field and is dropped (LiteLLM, Envoy). */
function assistantMessages(content: unknown, param: string, target: TranslationTarget): OpenAIMessage[] {
  let text = '';
  const calls: OpenAIToolCall[] = [];
  blocksOf(content, param, target).forEach((block, j) => {
    if (block.type === 'text') text += typeof block.text === 'string' ? block.text : '';
    else if (block.type === 'tool_use') calls.push(toolCall(block, `${param}.${j}`));
    else if (block.type !== 'thinking' && block.type !== 'redacted_thinking') {
      throw unsupportedParameter(`${param}.${j}.type`, `"${String(block.type)}" blocks cannot be sent to an OpenAI model`);
    }
  });
  if (text === '' && calls.length === 0) return [];
  const message: OpenAIMessage = { role: 'assistant', content: text === '' ? null : text };
  if (calls.length > 0) message.tool_calls = calls;
  return [message];
}

function toolCall(block: JsonObject, param: string): OpenAIToolCall {
  const name = block.name;
  if (typeof name !== 'string' || name === '') throw invalidRequest(`${param}.name`, 'must be a non-empty string');
  return { id: toolUseId(block.id, `${param}.id`), type: 'function', function: { name, arguments: argumentsFromToolInput(block.input) } };
}
