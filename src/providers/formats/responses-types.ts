/**
 * OpenAI Responses API wire types (POST /v1/responses): the fields the gateway reads or writes, after
 * openai@6.49 `resources/responses/responses.d.ts`. Inbound bodies are narrowed field by field
 * (responses-to-chat-request.ts); these describe the contract, not a guarantee.
 */

export type ResponsesRole = 'user' | 'assistant' | 'system' | 'developer';

/** Status of an item: what the API reports on output items, and what callers send back with them. */
export type ResponsesItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface ResponsesInputText {
  type: 'input_text';
  text: string;
}

export interface ResponsesInputImage {
  type: 'input_image';
  /** A URL or a data: URL. */
  image_url?: string | null;
  /** An OpenAI Files id: no upstream we translate for can read it. */
  file_id?: string | null;
  detail?: 'low' | 'high' | 'auto' | 'original';
}

export interface ResponsesInputFile {
  type: 'input_file';
  file_data?: string;
  file_id?: string | null;
  file_url?: string;
  filename?: string;
}

export interface ResponsesOutputText {
  type: 'output_text';
  /** Always [] here: Chat Completions upstreams return no citations we could place. */
  annotations: [];
  /** Always []: log probabilities are not translated (refused on the request side). */
  logprobs?: [];
  text: string;
}

export interface ResponsesRefusal {
  type: 'refusal';
  refusal: string;
}

export type ResponsesInputContent = ResponsesInputText | ResponsesInputImage | ResponsesInputFile;
export type ResponsesOutputContent = ResponsesOutputText | ResponsesRefusal;
export type ResponsesContentPart = ResponsesInputContent | ResponsesOutputContent;

/** EasyInputMessage, ResponseInputItem.Message and ResponseOutputMessage in one: `type` may be absent. */
export interface ResponsesMessageItem {
  type?: 'message';
  id?: string;
  role: ResponsesRole;
  content: string | ResponsesContentPart[];
  status?: ResponsesItemStatus;
  phase?: 'commentary' | 'final_answer' | null;
}

export interface ResponsesFunctionCallItem {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  /** A JSON string. */
  arguments: string;
  status?: ResponsesItemStatus;
}

export interface ResponsesFunctionCallOutputItem {
  type: 'function_call_output';
  id?: string | null;
  call_id: string;
  output: string | ResponsesInputContent[];
  status?: ResponsesItemStatus | null;
}

export interface ResponsesSummaryText {
  type: 'summary_text';
  text: string;
}

export interface ResponsesReasoningItem {
  type: 'reasoning';
  id: string;
  summary: ResponsesSummaryText[];
  content?: Array<{ type: 'reasoning_text'; text: string }>;
  encrypted_content?: string | null;
  status?: ResponsesItemStatus;
}

/** An earlier item named by id; `type` may be absent (`{ id }` alone is a reference). */
export interface ResponsesItemReference {
  type?: 'item_reference' | null;
  id: string;
}

export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesReasoningItem
  | ResponsesItemReference;

export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean | null;
}

/** Built-in tools (web_search, file_search, mcp, …) are named here only to be refused. */
export type ResponsesTool = ResponsesFunctionTool | { type: string; [k: string]: unknown };

export type ResponsesToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: Array<{ type: 'function'; name: string }> };

export interface ResponsesJsonSchemaFormat {
  type: 'json_schema';
  name: string;
  schema: Record<string, unknown>;
  description?: string;
  strict?: boolean | null;
}

export type ResponsesTextFormat = { type: 'text' } | ResponsesJsonSchemaFormat | { type: 'json_object' };

export interface ResponsesTextConfig {
  format: ResponsesTextFormat;
  verbosity?: 'low' | 'medium' | 'high' | null;
}

export type ResponsesReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';

export interface ResponsesReasoningConfig {
  effort: ResponsesReasoningEffort | null;
  summary: 'auto' | 'concise' | 'detailed' | null;
}

export type ResponsesServiceTier = 'auto' | 'default' | 'flex' | 'scale' | 'priority';

export type ResponsesIncludable =
  | 'file_search_call.results'
  | 'web_search_call.results'
  | 'web_search_call.action.sources'
  | 'message.input_image.image_url'
  | 'computer_call_output.output.image_url'
  | 'code_interpreter_call.outputs'
  | 'reasoning.encrypted_content'
  | 'message.output_text.logprobs';

/** The request body (ResponseCreateParams). Index signature: fields the gateway ignores pass the type check. */
export interface ResponsesRequest {
  model?: string;
  input?: string | ResponsesInputItem[];
  instructions?: string | null;
  tools?: ResponsesTool[];
  tool_choice?: ResponsesToolChoice;
  parallel_tool_calls?: boolean | null;
  text?: { format?: ResponsesTextFormat; verbosity?: 'low' | 'medium' | 'high' | null };
  reasoning?: { effort?: ResponsesReasoningEffort | null; summary?: 'auto' | 'concise' | 'detailed' | null; generate_summary?: 'auto' | 'concise' | 'detailed' | null } | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  metadata?: Record<string, string> | null;
  user?: string;
  safety_identifier?: string | null;
  prompt_cache_key?: string | null;
  store?: boolean | null;
  stream?: boolean | null;
  stream_options?: { include_obfuscation?: boolean } | null;
  previous_response_id?: string | null;
  truncation?: 'auto' | 'disabled' | null;
  include?: ResponsesIncludable[] | null;
  service_tier?: ResponsesServiceTier | null;
  top_logprobs?: number | null;
  [k: string]: unknown;
}

export interface ResponsesOutputMessage {
  id: string;
  type: 'message';
  status: ResponsesItemStatus;
  content: ResponsesOutputContent[];
  role: 'assistant';
}

export interface ResponsesFunctionCall {
  id: string;
  type: 'function_call';
  status: ResponsesItemStatus;
  arguments: string;
  call_id: string;
  name: string;
}

/** As the API writes it: no status, and no encrypted_content (there is none to give). */
export interface ResponsesReasoningOutput {
  id: string;
  type: 'reasoning';
  summary: ResponsesSummaryText[];
}

export type ResponsesOutputItem = ResponsesOutputMessage | ResponsesFunctionCall | ResponsesReasoningOutput;

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponsesStatus = 'completed' | 'failed' | 'in_progress' | 'cancelled' | 'queued' | 'incomplete';

export interface ResponsesError {
  /** ResponseError.code: of its values only these two describe an upstream failure. */
  code: 'server_error' | 'rate_limit_exceeded';
  message: string;
}

export interface ResponsesIncompleteDetails {
  reason: 'max_output_tokens' | 'content_filter';
}

/**
 * The request fields a Response repeats, normalised to what the API reports when they were not sent
 * (tool_choice "auto", truncation "disabled", …). Built by responsesToChatRequest. A type rather than an
 * interface (so is ResponsesResponse): it then converts to and from Record<string, unknown>, the shape the
 * relay and the response store hold it in.
 */
export type ResponsesEcho = {
  instructions: string | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  temperature: number | null;
  tool_choice: ResponsesToolChoice;
  tools: ResponsesFunctionTool[];
  top_p: number | null;
  background: false;
  max_output_tokens: number | null;
  previous_response_id: string | null;
  prompt_cache_key: string | null;
  reasoning: ResponsesReasoningConfig;
  safety_identifier: string | null;
  service_tier: ResponsesServiceTier;
  store: boolean;
  text: ResponsesTextConfig;
  top_logprobs: number;
  truncation: 'auto' | 'disabled';
  user: string | null;
};

/**
 * The Response object: the request fields it repeats (ResponsesEcho) and its own. The wire order, the SDK
 * `Response` type's, is responseEnvelope's; `output_text` is left out because it is no wire field (the SDKs
 * compute it from `output`), `store` is in because the API sends it.
 */
export type ResponsesResponse = ResponsesEcho & {
  id: string;
  created_at: number;
  error: ResponsesError | null;
  incomplete_details: ResponsesIncompleteDetails | null;
  model: string;
  object: 'response';
  output: ResponsesOutputItem[];
  /** Set when status is completed; null otherwise. */
  completed_at: number | null;
  status: ResponsesStatus;
  /** null until the response is over, as in the API's response.created event. */
  usage: ResponsesUsage | null;
};

interface ItemEvent {
  item_id: string;
  output_index: number;
}

/** The events that carry the whole Response: the first two and the last of a stream. */
type ResponseEvent<T extends string> = { type: T; response: ResponsesResponse };
type ItemAdded<T extends string> = { type: T; output_index: number; item: ResponsesOutputItem };
type PartEvent<T extends string> = { type: T; content_index: number; part: ResponsesOutputContent } & ItemEvent;
type SummaryPartEvent<T extends string> = { type: T; summary_index: number; part: ResponsesSummaryText } & ItemEvent;

/**
 * The stream events the gateway writes, without their sequence_number (given as they are written). One member
 * per type, as in the SDK's union, so that each is assignable to the SDK's ResponseStreamEvent.
 */
export type ResponsesStreamEventBody =
  | ResponseEvent<'response.created'>
  | ResponseEvent<'response.in_progress'>
  | ResponseEvent<'response.completed'>
  | ResponseEvent<'response.incomplete'>
  | ResponseEvent<'response.failed'>
  | ItemAdded<'response.output_item.added'>
  | ItemAdded<'response.output_item.done'>
  | PartEvent<'response.content_part.added'>
  | PartEvent<'response.content_part.done'>
  | ({ type: 'response.output_text.delta'; content_index: number; delta: string; logprobs: [] } & ItemEvent)
  | ({ type: 'response.output_text.done'; content_index: number; text: string; logprobs: [] } & ItemEvent)
  | ({ type: 'response.refusal.delta'; content_index: number; delta: string } & ItemEvent)
  | ({ type: 'response.refusal.done'; content_index: number; refusal: string } & ItemEvent)
  | ({ type: 'response.function_call_arguments.delta'; delta: string } & ItemEvent)
  | ({ type: 'response.function_call_arguments.done'; arguments: string; name: string } & ItemEvent)
  | SummaryPartEvent<'response.reasoning_summary_part.added'>
  | SummaryPartEvent<'response.reasoning_summary_part.done'>
  | ({ type: 'response.reasoning_summary_text.delta'; summary_index: number; delta: string } & ItemEvent)
  | ({ type: 'response.reasoning_summary_text.done'; summary_index: number; text: string } & ItemEvent)
  | ResponsesErrorEventBody;

/**
 * The `error` event. ResponseErrorEvent (the SDK type) has code, message and param at top level; the API
 * itself has been seen sending them nested in `error` (recorded streams, vercel/ai fixtures), which is also
 * what makes the SDKs raise. Both are written.
 */
export interface ResponsesErrorEventBody {
  type: 'error';
  code: string;
  message: string;
  param: null;
  error: { type: string; code: string; message: string; param: null };
}

/** Every event carries `type` and `sequence_number` (0, 1, 2, … within one stream). */
export type ResponsesStreamEvent = ResponsesStreamEventBody & { sequence_number: number };
