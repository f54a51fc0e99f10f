import type { GatewayError } from '../../errors/gateway-error.ts';
import { sseEncode, type SseEvent } from '../../upstream/sse-parser.ts';
import { asNumber, asRecord, asString, isRecord, parseJson, type JsonObject } from './json-value.ts';
import { IN_PROGRESS, outcomeOfFinish, responseEnvelope, type ResponsesEnvelopeOptions, type ResponsesOutcome } from './responses-envelope.ts';
import { OutputItemIds } from './responses-ids.ts';
import { responsesErrorBody } from './responses-answer.ts';
import { callArguments, functionCallItem, messageItem, outputText, reasoningItem } from './responses-output-items.ts';
import type {
  ResponsesItemStatus, ResponsesOutputContent, ResponsesOutputItem, ResponsesResponse, ResponsesStreamEventBody,
} from './responses-types.ts';
import { responsesUsage } from './responses-usage.ts';
import { malformedStreamFailure, truncatedStreamFailure, upstreamStreamFailure, type StreamFailure } from './stream-failure.ts';
import { StreamTranslator } from './stream-translator.ts';
import { mintToolId } from './tool-call-id.ts';
import { usageFromOpenAI } from './usage.ts';

export type ChatToResponsesStreamOptions = ResponsesEnvelopeOptions;

interface ItemState {
  /** output_index; -1 for a tool call still waiting to be added. */
  index: number;
  readonly id: string;
  /** in_progress while open; completed or incomplete once its done events are written. */
  status: ResponsesItemStatus;
}

interface MessageState extends ItemState {
  readonly kind: 'message';
  readonly parts: ResponsesOutputContent[];
  /** The last part still takes deltas (its done events are not written yet). */
  partOpen: boolean;
}

interface ReasoningState extends ItemState {
  readonly kind: 'reasoning';
  text: string;
}

interface ToolState extends ItemState {
  readonly kind: 'tool';
  readonly callId: string;
  name: string;
  /** As streamed; "" stays "" here and becomes "{}" in what is written as done (callArguments). */
  args: string;
  /** Fragments that came while the call waited to be added, written as its deltas once it is. */
  readonly waiting: string[];
}

type State = MessageState | ReasoningState | ToolState;

/**
 * chat.completion.chunk stream → Responses API event stream. Every event has its `event:` line and a
 * sequence_number from 0. Items follow one another as the real API writes them: each is added, takes its
 * deltas and is done before the next is added (reasoning, then the message, then each tool call, in the
 * order the chunks bring them). Chat may stream parallel tool calls with their argument fragments
 * interleaved: a call that starts while the one before has no whole JSON arguments yet waits, its fragments
 * kept, until that one has (or the answer ends), so that every done event has whole arguments and the
 * events keep the API's order. The final response.completed (response.incomplete for length and
 * content_filter) carries the Response chatToResponsesResponse makes of the same answer, with usage from
 * the usage chunk: the upstream request must ask for it (stream_options.include_usage, which
 * responsesToChatRequest sets).
 */
export class ChatToResponsesStream extends StreamTranslator {
  readonly #options: ChatToResponsesStreamOptions;
  readonly #ids: OutputItemIds;
  #sequence = 0;
  #started = false;
  /** Every item in output order, open or done. */
  readonly #items: State[] = [];
  #open: State | undefined;
  /** Chat tool_calls index → its item. */
  readonly #tools = new Map<number, ToolState>();
  /** Tool calls seen but not added yet, in the order they came. */
  readonly #queue: ToolState[] = [];
  #outcome: ResponsesOutcome | undefined;
  #usageSeen = false;
  #final: ResponsesResponse | undefined;

  constructor(options: ChatToResponsesStreamOptions) {
    super();
    this.#options = options;
    this.#ids = new OutputItemIds(options.id);
  }

  /** The Response the stream ended with (completed, incomplete or failed), for the store; undefined before. */
  get response(): ResponsesResponse | undefined {
    return this.#final;
  }

  /**
   * The events that end this stream when it fails for a reason outside the upstream's words (the connection
   * dropped, a timeout): `error` and response.failed with this stream's next sequence numbers, which a
   * stateless error event could not know. A bound function, to be handed to the relay as its errorEvent.
   */
  readonly errorEvent = (err: GatewayError): string => {
    if (this.done) return '';
    return this.#fail({ code: err.code, message: err.message, upstreamType: undefined });
  };

  push(event: SseEvent): string {
    if (this.done) return '';
    if (event.data.trim() === '[DONE]') return this.#start() + this.#close();
    const chunk = parseJson(event.data);
    if (!isRecord(chunk)) return this.#fail(malformedStreamFailure());
    if (event.event === 'error' || chunk.error !== undefined) return this.#fail(upstreamStreamFailure(chunk.error ?? chunk));
    let out = this.#start();
    if (Array.isArray(chunk.choices) && isRecord(chunk.choices[0])) out += this.#choice(chunk.choices[0]);
    if (isRecord(chunk.usage)) {
      this.usageSoFar = usageFromOpenAI(chunk.usage);
      this.#usageSeen = true;
      // The usage chunk follows the finish_reason chunk (some servers put both in one); either way it is last.
      if (this.#outcome !== undefined) out += this.#close();
    }
    return out;
  }

  /** Upstream EOF: complete if a finish_reason came (usage chunk or [DONE] merely missing), else failed. */
  end(): string {
    return this.done ? '' : this.#start() + this.#close();
  }

  #start(): string {
    if (this.#started) return '';
    this.#started = true;
    const response = responseEnvelope(this.#options, IN_PROGRESS, [], null);
    return this.#emit({ type: 'response.created', response }) + this.#emit({ type: 'response.in_progress', response });
  }

  #choice(choice: JsonObject): string {
    // After finish_reason every item is done; a stray delta would add to a finished response.
    if (this.#outcome !== undefined) return '';
    const delta = asRecord(choice.delta);
    let out = this.#reasoning(asString(delta.reasoning_content) ?? asString(delta.reasoning));
    out += this.#text(asString(delta.content), 'output_text') + this.#text(asString(delta.refusal), 'refusal');
    // An empty tool_calls array is no tool delta (litellm#29286).
    const calls: unknown[] = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
    for (const [k, call] of calls.entries()) out += this.#toolCall(asRecord(call), k);
    if (typeof choice.finish_reason === 'string') {
      const outcome = outcomeOfFinish(choice.finish_reason);
      // The item being written when the model stopped is the one cut short (chatToResponsesResponse agrees).
      out += this.#closeOpen(outcome.status === 'incomplete' ? 'incomplete' : 'completed');
      this.#outcome = outcome;
    }
    return out;
  }

  #reasoning(text: string | undefined): string {
    if (text === undefined || text === '') return '';
    let out = '';
    let state = this.#open;
    if (state?.kind !== 'reasoning') {
      out += this.#closeOpen();
      state = this.#add<ReasoningState>({ kind: 'reasoning', index: this.#items.length, id: this.#ids.next('rs'), status: 'in_progress', text: '' });
      out += this.#emit({ type: 'response.output_item.added', output_index: state.index, item: reasoningItem(state.id, undefined) });
      out += this.#emit({ type: 'response.reasoning_summary_part.added', item_id: state.id, output_index: state.index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    }
    state.text += text;
    return out + this.#emit({ type: 'response.reasoning_summary_text.delta', item_id: state.id, output_index: state.index, summary_index: 0, delta: text });
  }

  #text(text: string | undefined, kind: 'output_text' | 'refusal'): string {
    if (text === undefined || text === '') return '';
    let out = '';
    let state = this.#open;
    if (state?.kind !== 'message') {
      out += this.#closeOpen();
      state = this.#add<MessageState>({ kind: 'message', index: this.#items.length, id: this.#ids.next('msg'), status: 'in_progress', parts: [], partOpen: false });
      out += this.#emit({ type: 'response.output_item.added', output_index: state.index, item: messageItem(state.id, 'in_progress', []) });
    }
    let part = state.partOpen ? state.parts.at(-1) : undefined;
    if (part?.type !== kind) {
      out += this.#closePart(state);
      part = kind === 'output_text' ? outputText('') : { type: 'refusal', refusal: '' };
      state.parts.push(part);
      state.partOpen = true;
      out += this.#emit({ type: 'response.content_part.added', item_id: state.id, output_index: state.index, content_index: state.parts.length - 1, part: { ...part } });
    }
    const where = { item_id: state.id, output_index: state.index, content_index: state.parts.length - 1 };
    if (part.type === 'output_text') {
      part.text += text;
      return out + this.#emit({ type: 'response.output_text.delta', ...where, delta: text, logprobs: [] });
    }
    part.refusal += text;
    return out + this.#emit({ type: 'response.refusal.delta', ...where, delta: text });
  }

  #toolCall(call: JsonObject, position: number): string {
    const key = asNumber(call.index) ?? position;
    const fn = asRecord(call.function);
    let out = '';
    let state = this.#tools.get(key);
    if (state === undefined) {
      const id = asString(call.id);
      state = {
        kind: 'tool', index: -1, id: this.#ids.next('fc'), status: 'in_progress',
        callId: id === undefined || id === '' ? mintToolId('call') : id, name: asString(fn.name) ?? '', args: '', waiting: [],
      };
      // Text or reasoning before the first call is done now; an earlier call is done once its arguments are
      // whole (#advanceTools). Calls wait only behind an open call, so closing anything else drains nothing.
      if (this.#open?.kind !== 'tool') out += this.#closeOpen();
      this.#tools.set(key, state);
      this.#queue.push(state);
    } else if (state.name === '') {
      state.name = asString(fn.name) ?? '';
    }
    const args = asString(fn.arguments);
    if (args !== undefined && args !== '') {
      state.args += args;
      if (state.index === -1) state.waiting.push(args);
      // A fragment for a call already done (its arguments looked whole) still goes to it: the delta names the
      // item, and the final Response has the whole arguments.
      else out += this.#emit({ type: 'response.function_call_arguments.delta', item_id: state.id, output_index: state.index, delta: args });
    }
    return out + this.#advanceTools();
  }

  /** Adds waiting calls while the open call (or no open item) lets them: the open call's arguments are whole. */
  #advanceTools(): string {
    let out = '';
    for (let next = this.#queue[0]; next !== undefined; next = this.#queue[0]) {
      const open = this.#open;
      if (open !== undefined && !(open.kind === 'tool' && parseJson(open.args) !== undefined)) break;
      out += this.#closeItem('completed') + this.#addTool(next);
    }
    return out;
  }

  #addTool(state: ToolState): string {
    this.#queue.shift();
    state.index = this.#items.length;
    this.#add(state);
    let out = this.#emit({ type: 'response.output_item.added', output_index: state.index, item: functionCallItem(state.id, 'in_progress', '', state.callId, state.name) });
    for (const delta of state.waiting.splice(0)) {
      out += this.#emit({ type: 'response.function_call_arguments.delta', item_id: state.id, output_index: state.index, delta });
    }
    return out;
  }

  #add<S extends State>(state: S): S {
    this.#items.push(state);
    this.#open = state;
    return state;
  }

  #closePart(state: MessageState): string {
    const part = state.parts.at(-1);
    if (!state.partOpen || part === undefined) return '';
    state.partOpen = false;
    const where = { item_id: state.id, output_index: state.index, content_index: state.parts.length - 1 };
    const done = part.type === 'output_text'
      ? this.#emit({ type: 'response.output_text.done', ...where, text: part.text, logprobs: [] })
      : this.#emit({ type: 'response.refusal.done', ...where, refusal: part.refusal });
    return done + this.#emit({ type: 'response.content_part.done', ...where, part: { ...part } });
  }

  /**
   * Closes the open item and adds and closes every call still waiting, so that nothing is left open. `status`
   * is the last one's: the item being written when the model stopped is the one cut short.
   */
  #closeOpen(status: ResponsesItemStatus = 'completed'): string {
    let out = '';
    while (this.#queue[0] !== undefined) out += this.#closeItem('completed') + this.#addTool(this.#queue[0]);
    return out + this.#closeItem(status);
  }

  #closeItem(status: ResponsesItemStatus): string {
    const state = this.#open;
    if (state === undefined) return '';
    this.#open = undefined;
    state.status = status;
    let out = '';
    if (state.kind === 'message') out += this.#closePart(state);
    if (state.kind === 'reasoning') {
      const where = { item_id: state.id, output_index: state.index, summary_index: 0 };
      out += this.#emit({ type: 'response.reasoning_summary_text.done', ...where, text: state.text });
      out += this.#emit({ type: 'response.reasoning_summary_part.done', ...where, part: { type: 'summary_text', text: state.text } });
    }
    if (state.kind === 'tool') {
      out += this.#emit({ type: 'response.function_call_arguments.done', item_id: state.id, output_index: state.index, arguments: callArguments(state.args), name: state.name });
    }
    return out + this.#emit({ type: 'response.output_item.done', output_index: state.index, item: itemOf(state) });
  }

  #close(): string {
    const outcome = this.#outcome;
    if (outcome === undefined) return this.#fail(truncatedStreamFailure());
    this.done = true;
    const response = responseEnvelope(this.#options, outcome, this.#output(), responsesUsage(this.usageSoFar));
    this.#final = response;
    return this.#emit({ type: outcome.status === 'incomplete' ? 'response.incomplete' : 'response.completed', response });
  }

  /**
   * `error`, then response.failed with what was written so far (an item cut off ends incomplete, without its
   * done events). The error event makes the SDKs raise, as they do for the API's own mid-stream errors.
   */
  #fail(failure: StreamFailure): string {
    const out = this.#start();
    if (this.#open !== undefined) this.#open.status = 'incomplete';
    this.#open = undefined;
    // Calls still waiting were never added; the failed Response lists what the caller was told of.
    this.done = true;
    this.failureSeen = failure;
    const type = failure.upstreamType ?? 'server_error';
    const error = { code: /rate_limit|quota/i.test(type) ? 'rate_limit_exceeded' as const : 'server_error' as const, message: failure.message };
    const outcome: ResponsesOutcome = { status: 'failed', incompleteDetails: null, error };
    const response = responseEnvelope(this.#options, outcome, this.#output(), this.#usageSeen ? responsesUsage(this.usageSoFar) : null);
    this.#final = response;
    return out + this.#emit(responsesErrorBody(failure.code, failure.message, type))
      + this.#emit({ type: 'response.failed', response });
  }

  #output(): ResponsesOutputItem[] {
    return this.#items.map(itemOf);
  }

  #emit(body: ResponsesStreamEventBody): string {
    return sseEncode(JSON.stringify({ ...body, sequence_number: this.#sequence++ }), body.type);
  }
}

function itemOf(state: State): ResponsesOutputItem {
  switch (state.kind) {
    case 'message':
      return messageItem(state.id, state.status, state.parts.map((part) => ({ ...part })));
    case 'reasoning':
      return reasoningItem(state.id, state.text);
    case 'tool':
      return functionCallItem(state.id, state.status, state.status === 'in_progress' ? state.args : callArguments(state.args), state.callId, state.name);
  }
}
