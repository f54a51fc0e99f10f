import type {
  AnthropicContentBlock,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from './anthropic-types.ts';
import { isRecord, type JsonObject } from './json-value.ts';
import { openaiContentToAnthropic, present, textBlock } from './openai-content-to-anthropic.ts';
import { invalidRequest } from './request-errors.ts';
import { toolInputFromArguments } from './tool-arguments.ts';
import { toAnthropicToolId } from './tool-call-id.ts';

export interface AnthropicConversation {
  /** All system and developer messages, hoisted and joined by "\n" (Anthropic's own compat layer does this). */
  system: string | undefined;
  messages: AnthropicMessageParam[];
}

/** One Anthropic turn under construction; tool results are kept apart so they can lead the turn. */
interface Turn {
  role: 'user' | 'assistant';
  results: AnthropicToolResultBlock[];
  blocks: AnthropicContentBlock[];
}

interface Conversion {
  system: string[];
  turns: Turn[];
  /** Deprecated function calls have no ids: each gets one, and the next `function` message answers it. */
  legacyCalls: number;
  lastLegacyId: string | undefined;
}

export function openaiMessagesToAnthropic(messages: unknown): AnthropicConversation {
  if (!Array.isArray(messages)) throw invalidRequest('messages', 'must be an array');
  const state: Conversion = { system: [], turns: [], legacyCalls: 0, lastLegacyId: undefined };
  messages.forEach((message: unknown, i) => convertMessage(state, message, `messages.${i}`));
  trimFinalAssistant(state.turns);
  if (state.turns.length === 0) throw invalidRequest('messages', 'must contain at least one non-system message with content');
  return {
    system: state.system.length > 0 ? state.system.join('\n') : undefined,
    messages: state.turns.map((turn) => ({ role: turn.role, content: [...turn.results, ...turn.blocks] })),
  };
}

function convertMessage(state: Conversion, message: unknown, param: string): void {
  if (!isRecord(message)) throw invalidRequest(param, 'must be an object');
  switch (message.role) {
    case 'system':
    case 'developer':
      return addSystem(state, message.content, `${param}.content`);
    case 'user':
      return append(state.turns, 'user', openaiContentToAnthropic(message.content, `${param}.content`), []);
    case 'assistant':
      return append(state.turns, 'assistant', assistantBlocks(state, message, param), []);
    case 'tool':
      return append(state.turns, 'user', [], [toolResult(message, param)]);
    case 'function':
      return append(state.turns, 'user', [], [legacyResult(state, message, param)]);
    default:
      throw invalidRequest(`${param}.role`, 'must be system, developer, user, assistant, tool or function');
  }
}

/**
 * Consecutive same-role messages share one turn: Anthropic combines them anyway, and every tool result
 * answering one assistant turn must arrive in the single user turn after it (Portkey-AI/gateway#980).
 */
function append(turns: Turn[], role: Turn['role'], blocks: AnthropicContentBlock[], results: AnthropicToolResultBlock[]): void {
  if (blocks.length === 0 && results.length === 0) return;
  let turn = turns.at(-1);
  if (turn?.role !== role) {
    turn = { role, results: [], blocks: [] };
    turns.push(turn);
  }
  turn.results.push(...results);
  turn.blocks.push(...blocks);
}

function addSystem(state: Conversion, content: unknown, param: string): void {
  const text = openaiContentToAnthropic(content, param).map((block) => {
    if (block.type !== 'text') throw invalidRequest(param, 'system messages may contain text only');
    return block.text;
  });
  if (text.length > 0) state.system.push(text.join('\n'));
}

function assistantBlocks(state: Conversion, message: JsonObject, param: string): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = openaiContentToAnthropic(message.content, `${param}.content`);
  if (blocks.some((block) => block.type !== 'text')) throw invalidRequest(`${param}.content`, 'assistant messages may contain text only');
  if (typeof message.refusal === 'string') blocks.push(...present([textBlock(message.refusal, `${param}.refusal`)]));
  blocks.push(...toolUses(message.tool_calls, `${param}.tool_calls`));
  if (message.function_call != null) blocks.push(legacyToolUse(state, message.function_call, `${param}.function_call`));
  return blocks;
}

function toolUses(calls: unknown, param: string): AnthropicToolUseBlock[] {
  if (calls === undefined || calls === null) return [];
  if (!Array.isArray(calls)) throw invalidRequest(param, 'must be an array');
  return calls.map((call: unknown, j) => {
    const id = isRecord(call) ? call.id : undefined;
    if (typeof id !== 'string' || id === '') throw invalidRequest(`${param}.${j}.id`, 'must be a non-empty string');
    return toolUse(id, isRecord(call) ? call.function : undefined, `${param}.${j}.function`);
  });
}

function toolUse(id: string, fn: unknown, param: string): AnthropicToolUseBlock {
  const name = isRecord(fn) ? fn.name : undefined;
  if (typeof name !== 'string' || name === '') throw invalidRequest(`${param}.name`, 'must be a non-empty string');
  const args = isRecord(fn) ? fn.arguments : undefined;
  return { type: 'tool_use', id: toAnthropicToolId(id), name, input: toolInputFromArguments(args) };
}

function toolResult(message: JsonObject, param: string): AnthropicToolResultBlock {
  const id = message.tool_call_id;
  if (typeof id !== 'string' || id === '') throw invalidRequest(`${param}.tool_call_id`, 'must be a non-empty string');
  return resultBlock(toAnthropicToolId(id), message.content, `${param}.content`);
}

/** Empty results omit `content` (optional in Anthropic) rather than sending an empty text block. */
function resultBlock(toolUseId: string, content: unknown, param: string): AnthropicToolResultBlock {
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: toolUseId };
  const blocks = openaiContentToAnthropic(content, param);
  const parts = blocks.filter((b): b is AnthropicTextBlock | AnthropicImageBlock => b.type !== 'document');
  if (parts.length !== blocks.length) throw invalidRequest(param, 'tool results may contain text and images only');
  if (parts.length > 0) block.content = typeof content === 'string' ? content : parts;
  return block;
}

function legacyToolUse(state: Conversion, call: unknown, param: string): AnthropicToolUseBlock {
  state.legacyCalls += 1;
  state.lastLegacyId = `call_legacy_${state.legacyCalls}`;
  return toolUse(state.lastLegacyId, call, param);
}

function legacyResult(state: Conversion, message: JsonObject, param: string): AnthropicToolResultBlock {
  if (state.lastLegacyId === undefined) throw invalidRequest(param, 'a function message must follow an assistant function_call');
  return resultBlock(state.lastLegacyId, message.content, `${param}.content`);
}

/** Anthropic: "final assistant content cannot end with trailing whitespace" (vercel/ai#2124). */
function trimFinalAssistant(turns: Turn[]): void {
  const last = turns.at(-1);
  const block = last?.role === 'assistant' ? last.blocks.at(-1) : undefined;
  // Blank text blocks were never created, so the trimmed text is still non-empty.
  if (block?.type === 'text') block.text = block.text.trimEnd();
}
