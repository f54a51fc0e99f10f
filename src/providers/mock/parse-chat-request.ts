/**
 * Reads the fields of an OpenAI chat-completions body that the mock acts on, and rejects bad values with
 * the message, param and code OpenAI itself uses, so the gateway's 400 pass-through is exercised offline.
 */
import type { OpenAIErrorFields } from './mock-response.ts';

export interface ToolCall {
  readonly id?: string;
  readonly function?: { readonly name?: string; readonly arguments?: string };
}

export interface ChatMessage {
  readonly role: string;
  readonly content?: unknown;
  readonly tool_calls?: readonly ToolCall[];
  readonly tool_call_id?: string;
}

export interface FunctionTool {
  readonly name: string;
  readonly parameters: unknown;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly n: number;
  readonly maxTokens: number | undefined;
  readonly stop: readonly string[];
  /** Function tools the model may call now (tool_choice "none" and allowed_tools already applied). */
  readonly tools: readonly FunctionTool[];
  readonly parallelToolCalls: boolean;
  readonly responseFormat: ResponseFormat;
  readonly stream: boolean;
  readonly includeUsage: boolean;
}

export type ResponseFormat = { readonly type: 'text' } | { readonly type: 'json_object' } | { readonly type: 'json_schema'; readonly schema: unknown };

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: OpenAIErrorFields };

type Body = Readonly<Record<string, unknown>>;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
const MAX_N = 128;
const MAX_STOP = 4;

class InvalidRequest extends Error {
  readonly fields: OpenAIErrorFields;
  constructor(message: string, param: string, code: string | null) {
    super(message);
    this.fields = { message, type: 'invalid_request_error', param, code };
  }
}

export function parseChatRequest(body: Body): Parsed<ChatRequest> {
  try {
    const tools = readTools(body);
    const value: ChatRequest = {
      messages: readMessages(body.messages),
      n: readInteger(body, 'n', 1, MAX_N) ?? 1,
      maxTokens: readInteger(body, 'max_completion_tokens', 1) ?? readInteger(body, 'max_tokens', 1),
      stop: readStop(body.stop),
      tools: selectTools(tools, body.tool_choice, Array.isArray(body.tools) && body.tools.length > 0),
      parallelToolCalls: body.parallel_tool_calls !== false,
      responseFormat: readResponseFormat(body.response_format),
      stream: body.stream === true,
      includeUsage: isObject(body.stream_options) && body.stream_options.include_usage === true,
    };
    return { ok: true, value };
  } catch (err) {
    if (err instanceof InvalidRequest) return { ok: false, error: err.fields };
    throw err;
  }
}

/** Parses a request body; anything but a JSON object is answered the way OpenAI answers it. */
export function parseJsonBody(raw: Buffer | string): Parsed<Body> {
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return { ok: false, error: { message: 'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)', type: 'invalid_request_error', param: null, code: null } };
  }
  if (!isObject(json)) {
    return { ok: false, error: { message: `Invalid type for request body: expected an object, but got ${describe(json)} instead.`, type: 'invalid_request_error', param: null, code: 'invalid_type' } };
  }
  return { ok: true, value: json };
}

export function isObject(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function invalidType(param: string, expected: string, value: unknown): InvalidRequest {
  return new InvalidRequest(`Invalid type for '${param}': expected ${expected}, but got ${describe(value)} instead.`, param, 'invalid_type');
}

function readMessages(value: unknown): ChatMessage[] {
  if (value === undefined) throw new InvalidRequest('Missing required parameter: \'messages\'.', 'messages', 'missing_required_parameter');
  if (!Array.isArray(value)) throw invalidType('messages', 'an array of objects', value);
  if (value.length === 0) {
    throw new InvalidRequest('Invalid \'messages\': empty array. Expected an array with minimum length 1, but got an empty array instead.', 'messages', 'empty_array');
  }
  return value.map((message: unknown, i) => readMessage(message, `messages[${i}]`));
}

function readMessage(value: unknown, param: string): ChatMessage {
  if (!isObject(value)) throw invalidType(param, 'an object', value);
  if (value.role === undefined) throw new InvalidRequest(`Missing required parameter: '${param}.role'.`, `${param}.role`, 'missing_required_parameter');
  if (typeof value.role !== 'string' || !ROLES.has(value.role)) {
    throw new InvalidRequest(`Invalid value: '${String(value.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`, `${param}.role`, 'invalid_value');
  }
  return value as unknown as ChatMessage;
}

function readInteger(body: Body, key: string, min: number, max = Infinity): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType(key, 'an integer', value);
  if (value < min) {
    throw new InvalidRequest(`Invalid '${key}': integer below minimum value. Expected a value >= ${min}, but got ${value} instead.`, key, 'integer_below_min_value');
  }
  if (value > max) {
    throw new InvalidRequest(`Invalid '${key}': integer above maximum value. Expected a value <= ${max}, but got ${value} instead.`, key, 'integer_above_max_value');
  }
  return value;
}

function readStop(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) throw invalidType('stop', 'a string or an array of strings', value);
  if (value.length > MAX_STOP) {
    throw new InvalidRequest(`Invalid 'stop': array too long. Expected an array with maximum length ${MAX_STOP}, but got an array with length ${value.length} instead.`, 'stop', 'array_above_max_length');
  }
  return value.filter((s) => s !== '');
}

function readTools(body: Body): FunctionTool[] {
  const value = body.tools;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidType('tools', 'an array of objects', value);
  return value.flatMap((tool: unknown, i): FunctionTool[] => {
    if (!isObject(tool)) throw invalidType(`tools[${i}]`, 'an object', tool);
    if (tool.type !== 'function') return []; // custom tools have no JSON arguments to synthesize
    const fn = tool.function;
    if (!isObject(fn) || typeof fn.name !== 'string' || fn.name === '') {
      throw new InvalidRequest(`Missing required parameter: 'tools[${i}].function.name'.`, `tools[${i}].function.name`, 'missing_required_parameter');
    }
    return [{ name: fn.name, parameters: fn.parameters }];
  });
}

/** Applies tool_choice: "none" hides every tool, a named function or allowed_tools narrows the list. */
function selectTools(tools: FunctionTool[], choice: unknown, hasTools: boolean): FunctionTool[] {
  if (choice === undefined || choice === null) return tools;
  if (!hasTools) {
    throw new InvalidRequest('Invalid value for \'tool_choice\': \'tool_choice\' is only allowed when \'tools\' are specified.', 'tool_choice', null);
  }
  if (choice === 'auto' || choice === 'required') return tools;
  if (choice === 'none') return [];
  if (isObject(choice) && choice.type === 'function' && isObject(choice.function) && typeof choice.function.name === 'string') {
    return [findTool(tools, choice.function.name)];
  }
  if (isObject(choice) && choice.type === 'allowed_tools' && isObject(choice.allowed_tools) && Array.isArray(choice.allowed_tools.tools)) {
    return allowedTools(tools, choice.allowed_tools.tools);
  }
  throw new InvalidRequest('Invalid value for \'tool_choice\': expected "none", "auto", "required" or an object naming a function.', 'tool_choice', 'invalid_value');
}

function findTool(tools: readonly FunctionTool[], name: string): FunctionTool {
  const tool = tools.find((t) => t.name === name);
  if (tool === undefined) {
    throw new InvalidRequest(`Invalid value for 'tool_choice': function '${name}' was not found in 'tools'.`, 'tool_choice', 'invalid_value');
  }
  return tool;
}

function allowedTools(tools: readonly FunctionTool[], allowed: readonly unknown[]): FunctionTool[] {
  const names = new Set(allowed.map((t) => (isObject(t) && isObject(t.function) ? t.function.name : undefined)));
  return tools.filter((t) => names.has(t.name));
}

function readResponseFormat(value: unknown): ResponseFormat {
  if (value === undefined || value === null) return { type: 'text' };
  if (!isObject(value)) throw invalidType('response_format', 'an object', value);
  if (value.type === 'text' || value.type === 'json_object') return { type: value.type };
  if (value.type !== 'json_schema') {
    throw new InvalidRequest(`Invalid value: '${String(value.type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`, 'response_format.type', 'invalid_value');
  }
  if (!isObject(value.json_schema)) {
    throw new InvalidRequest('Missing required parameter: \'response_format.json_schema\'.', 'response_format.json_schema', 'missing_required_parameter');
  }
  return { type: 'json_schema', schema: value.json_schema.schema ?? {} };
}
