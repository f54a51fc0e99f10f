import type { OpenAIContentPart, OpenAIMessage, OpenAIToolCall } from './openai-types.ts';
import { isRecord, type JsonObject } from './json-value.ts';
import { assistantPartText, contentParts, inputPartToChat } from './responses-content-to-chat.ts';
import { ItemSite } from './responses-item-site.ts';
import { STRICT, type TranslationRefusals } from './responses-refusals.ts';
import type { ResponsesInputItem } from './responses-types.ts';
import { invalidRequest } from './request-errors.ts';

/** Looks up an item by id for an item_reference (the gateway's store of earlier responses); undefined if unknown. */
export type ItemResolver = (id: string) => unknown;

export interface InputTranslation {
  messages: OpenAIMessage[];
  /**
   * This request's input as a list of items, as the next turn's history needs it: a string input becomes one
   * user message, item references are replaced by the items they name (references to unknown reasoning
   * items, which are dropped anyway, disappear). A reference the gateway could not resolve (left in by a lenient
   * translation) stays a reference.
   */
  items: ResponsesInputItem[];
  /**
   * An item_reference of the input named an item the gateway's store holds (an output item of a response the
   * gateway made): `items` has the item in its place. An upstream that speaks the API never saw that id, so it
   * must be sent the items rather than the caller's input.
   */
  resolvedFromStore: boolean;
}

/**
 * Item types of OpenAI-hosted features: built-in tools, custom (grammar) tools, MCP, compaction. Their calls
 * and results are produced and consumed inside OpenAI; a Chat Completions upstream has no form for them.
 */
const HOSTED_ITEM_TYPES: ReadonlySet<string> = new Set([
  'file_search_call', 'web_search_call', 'computer_call', 'computer_call_output', 'image_generation_call', 'code_interpreter_call',
  'local_shell_call', 'local_shell_call_output', 'shell_call', 'shell_call_output', 'apply_patch_call', 'apply_patch_call_output',
  'mcp_list_tools', 'mcp_approval_request', 'mcp_approval_response', 'mcp_call', 'custom_tool_call', 'custom_tool_call_output',
  'tool_search_call', 'tool_search_output', 'additional_tools', 'compaction', 'compaction_trigger', 'program', 'program_output',
]);

const ROLES: ReadonlySet<unknown> = new Set(['user', 'assistant', 'system', 'developer']);

/**
 * history (the earlier turns of previous_response_id, oldest first) + this request's input → chat messages.
 * Assistant text and the function calls next to it make one assistant message, as chat wants them; reasoning
 * items are dropped, because Chat Completions has no field to send reasoning back in (the vendors' non-standard
 * reasoning_content is output only, and some of them reject it on input). What only OpenAI can read (items of
 * built-in tools, file ids, references to OpenAI's own items) is refused through `refusals`.
 */
export function responsesInputToChat(history: readonly unknown[], input: unknown, resolveItem?: ItemResolver, refusals: TranslationRefusals = STRICT): InputTranslation {
  const builder = new ChatBuilder(resolveItem, refusals);
  history.forEach((item, i) => builder.add(item, new ItemSite(i, true)));
  let items: ResponsesInputItem[];
  if (typeof input === 'string') {
    builder.userText(input);
    items = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  } else if (Array.isArray(input)) {
    items = input.flatMap((item: unknown, i) => builder.add(item, new ItemSite(i, false)));
  } else if (input === undefined || input === null) {
    items = [];
  } else {
    throw invalidRequest('input', 'must be a string or an array of input items');
  }
  return { messages: builder.finish(), items, resolvedFromStore: builder.resolvedFromStore };
}

class ChatBuilder {
  readonly messages: OpenAIMessage[] = [];
  /** Every function_call seen, by call_id: an output needs one before it, and every call needs an output. */
  readonly #calls = new Map<string, { site: ItemSite; answered: boolean }>();
  /** Items seen so far by id, for item references to earlier items of the same conversation. */
  readonly #byId = new Map<string, JsonObject>();
  /** Images and files of tool outputs: chat tool messages carry text only, so they follow as a user message. */
  #media: OpenAIContentPart[] = [];
  readonly #resolve: ItemResolver | undefined;
  readonly #refusals: TranslationRefusals;
  /** See InputTranslation.resolvedFromStore. */
  resolvedFromStore = false;

  constructor(resolve: ItemResolver | undefined, refusals: TranslationRefusals) {
    this.#resolve = resolve;
    this.#refusals = refusals;
  }

  /** Adds one item; returns it as it should be stored (the named item for a reference, nothing for a dropped one). */
  add(raw: unknown, site: ItemSite, viaReference = false): ResponsesInputItem[] {
    if (!isRecord(raw)) throw site.invalid(site.path, 'must be an input item object');
    const type = itemType(raw, site, this.#refusals);
    // Dropped and referring items change no layout; a reference flushes when its item is added.
    if (type === 'message' || type === 'function_call') this.#flushMedia();
    switch (type) {
      case 'message':
        this.#message(raw, site);
        break;
      case 'function_call':
        this.#functionCall(raw, site);
        break;
      case 'function_call_output':
        this.#functionCallOutput(raw, site);
        break;
      case 'reasoning':
      case 'hosted':
        break;
      case 'item_reference':
        if (viaReference) throw site.invalid(`${site.path}.id`, 'names another item_reference, not an item');
        return this.#reference(raw, site);
    }
    if (typeof raw.id === 'string' && raw.id !== '') this.#byId.set(raw.id, raw);
    // Validated field by field above; the item goes to storage as the caller wrote it.
    return [raw as unknown as ResponsesInputItem];
  }

  userText(text: string): void {
    this.messages.push({ role: 'user', content: text });
  }

  finish(): OpenAIMessage[] {
    for (const [callId, call] of this.#calls) {
      // An output may be among what a lenient translation could not read.
      if (!call.answered && !this.#refusals.any) {
        throw call.site.invalid(`${call.site.path}.call_id`, `the function call "${callId}" has no function_call_output after it; send the output of every call the model made`);
      }
    }
    this.#flushMedia();
    return this.messages;
  }

  #message(item: JsonObject, site: ItemSite): void {
    if (!ROLES.has(item.role)) throw site.invalid(`${site.path}.role`, 'must be one of user, assistant, system, developer');
    const param = `${site.path}.content`;
    if (item.role === 'assistant') return this.#assistantText(contentParts(item.content, site, param, 'assistant'), site, param);
    const parts = contentParts(item.content, site, param, 'input').flatMap((part, j) => inputPartToChat(part, site, `${param}[${j}]`, 'input', this.#refusals) ?? []);
    if (item.role === 'user') {
      this.messages.push({ role: 'user', content: userContent(parts) });
      return;
    }
    // developer → system: OpenAI-compatible servers other than OpenAI rarely know the developer role.
    parts.forEach((part, j) => {
      if (part.type !== 'text') this.#refusals.refuse(site.unsupported(`${param}[${j}].type`, 'Chat Completions system messages take text only'));
    });
    this.messages.push({ role: 'system', content: parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n') });
  }

  /**
   * Text of an assistant message. It joins the assistant message just before when that one holds tool calls not
   * yet answered: chat wants tool messages right after the tool_calls, so no second assistant message may come
   * between (a model may write [function_call, message] in one response).
   */
  #assistantText(parts: JsonObject[], site: ItemSite, param: string): void {
    const text = parts.map((part, j) => assistantPartText(part, site, `${param}[${j}]`)).join('');
    if (text === '') return;
    const last = this.messages.at(-1);
    if (last?.role === 'assistant' && last.tool_calls !== undefined) {
      last.content = typeof last.content === 'string' && last.content !== '' ? `${last.content}\n\n${text}` : text;
      return;
    }
    this.messages.push({ role: 'assistant', content: text });
  }

  /** Consecutive calls (reasoning between them is dropped) become one assistant message, after its text if any. */
  #functionCall(item: JsonObject, site: ItemSite): void {
    const callId = nonEmpty(item.call_id, site, `${site.path}.call_id`);
    const name = nonEmpty(item.name, site, `${site.path}.name`);
    if (typeof item.arguments !== 'string') throw site.invalid(`${site.path}.arguments`, 'must be a string (the arguments as JSON text)');
    const call: OpenAIToolCall = { id: callId, type: 'function', function: { name, arguments: item.arguments } };
    this.#calls.set(callId, { site, answered: false });
    const last = this.messages.at(-1);
    if (last?.role === 'assistant') {
      last.tool_calls = [...(last.tool_calls ?? []), call];
      return;
    }
    this.messages.push({ role: 'assistant', content: null, tool_calls: [call] });
  }

  #functionCallOutput(item: JsonObject, site: ItemSite): void {
    const callId = nonEmpty(item.call_id, site, `${site.path}.call_id`);
    const call = this.#calls.get(callId);
    // Its call may be among what a lenient translation could not read; the chat is not sent then anyway.
    if (call === undefined && this.#refusals.any) return;
    if (call === undefined) {
      throw site.invalid(`${site.path}.call_id`, `no function_call with call_id "${callId}" comes before this output (in this input or in the conversation of previous_response_id)`);
    }
    call.answered = true;
    this.messages.push({ role: 'tool', tool_call_id: callId, content: this.#outputText(item.output, site, `${site.path}.output`) });
  }

  #outputText(output: unknown, site: ItemSite, param: string): string {
    if (typeof output === 'string') return output;
    if (!Array.isArray(output)) throw site.invalid(param, 'must be a string or an array of input_text, input_image and input_file parts');
    const texts: string[] = [];
    contentParts(output, site, param, 'tool_output').forEach((raw, j) => {
      const part = inputPartToChat(raw, site, `${param}[${j}]`, 'tool_output', this.#refusals);
      if (part?.type === 'text') texts.push(part.text);
      else if (part !== undefined) this.#media.push(part);
    });
    return texts.join('\n');
  }

  #flushMedia(): void {
    if (this.#media.length === 0) return;
    this.messages.push({ role: 'user', content: this.#media });
    this.#media = [];
  }

  /**
   * An item named by id: one seen earlier in this conversation, else whatever the gateway's store holds. A
   * reference to an unknown reasoning item (rs_…) is dropped, as the item itself would be: clients that store
   * responses (the Vercel AI SDK by default) send reasoning back only by reference. Any other unknown id is
   * refused: it may name an item OpenAI holds (a response it made, relayed as it came), which OpenAI resolves
   * itself; a lenient translation keeps the reference for it.
   */
  #reference(item: JsonObject, site: ItemSite): ResponsesInputItem[] {
    const id = nonEmpty(item.id, site, `${site.path}.id`);
    const seen = this.#byId.get(id);
    if (seen !== undefined) return this.add(seen, site, true);
    const stored = this.#resolve?.(id);
    if (stored !== undefined && stored !== null) {
      this.resolvedFromStore = true;
      return this.add(stored, site, true);
    }
    if (id.startsWith('rs_')) return [];
    this.#refusals.refuse(site.invalid(`${site.path}.id`, `no stored item has the id "${id}"`));
    return [item as unknown as ResponsesInputItem];
  }
}

type ItemType = 'message' | 'function_call' | 'function_call_output' | 'reasoning' | 'item_reference' | 'hosted';

const ITEM_TYPES: ReadonlySet<unknown> = new Set<ItemType>(['message', 'function_call', 'function_call_output', 'reasoning', 'item_reference']);

function isItemType(type: unknown): type is ItemType {
  return ITEM_TYPES.has(type);
}

/** The item's type; 'hosted' for an item of a tool that runs inside OpenAI, refused through `refusals`. */
function itemType(item: JsonObject, site: ItemSite, refusals: TranslationRefusals): ItemType {
  const type = item.type;
  // EasyInputMessage may leave out type; `{ id }` alone is an item reference.
  if (type === undefined || type === null) {
    if (item.role !== undefined) return 'message';
    if (item.id !== undefined) return 'item_reference';
    throw site.invalid(`${site.path}.type`, 'is required (or give role for a message)');
  }
  if (isItemType(type)) return type;
  if (typeof type === 'string' && HOSTED_ITEM_TYPES.has(type)) {
    refusals.refuse(site.unsupported(`${site.path}.type`, `"${type}" items belong to tools that run inside OpenAI, which this model's provider (Chat Completions) cannot run`));
    return 'hosted';
  }
  throw site.invalid(`${site.path}.type`, 'must be one of message, function_call, function_call_output, reasoning, item_reference');
}

/** A lone text part goes as a plain string: some OpenAI-compatible servers accept nothing else. */
function userContent(parts: OpenAIContentPart[]): string | OpenAIContentPart[] {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only?.type === 'text' ? only.text : parts;
}

function nonEmpty(value: unknown, site: ItemSite, param: string): string {
  if (typeof value !== 'string' || value === '') throw site.invalid(param, 'must be a non-empty string');
  return value;
}
