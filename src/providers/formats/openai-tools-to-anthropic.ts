import type { AnthropicTool, AnthropicToolChoice } from './anthropic-types.ts';
import { asRecord, isRecord, type JsonObject } from './json-value.ts';
import { invalidRequest, unsupportedParameter } from './request-errors.ts';

export interface AnthropicToolSetup {
  tools: AnthropicTool[];
  /** Undefined when there are no tools: Anthropic has nothing to choose from. */
  toolChoice: AnthropicToolChoice | undefined;
}

interface MappedChoice {
  choice: AnthropicToolChoice | undefined;
  /** Set by tool_choice "allowed_tools": only these tools are offered. */
  allowed: Set<string> | undefined;
}

/** tools / functions, tool_choice / function_call and parallel_tool_calls (translation.md §1.3). */
export function openaiToolsToAnthropic(body: JsonObject): AnthropicToolSetup {
  const tools = [...functionTools(body.tools), ...legacyFunctions(body.functions)];
  const mapped = body.tool_choice != null
    ? mapChoice(body.tool_choice, 'tool_choice')
    : mapChoice(legacyChoice(body.function_call), 'function_call');
  const offered = mapped.allowed === undefined ? tools : tools.filter((tool) => mapped.allowed?.has(tool.name));
  if (offered.length === 0) return { tools: [], toolChoice: undefined };
  return { tools: offered, toolChoice: withParallelism(mapped.choice, body.parallel_tool_calls) };
}

function functionTools(tools: unknown): AnthropicTool[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalidRequest('tools', 'must be an array');
  return tools.map((tool: unknown, i) => {
    const type = asRecord(tool).type;
    if (type !== 'function') throw unsupportedParameter(`tools.${i}.type`, `"${String(type)}" tools cannot be sent to an Anthropic model; use function tools`);
    return toolFromFunction(asRecord(tool).function, `tools.${i}.function`);
  });
}

function legacyFunctions(functions: unknown): AnthropicTool[] {
  if (functions === undefined || functions === null) return [];
  if (!Array.isArray(functions)) throw invalidRequest('functions', 'must be an array');
  return functions.map((fn: unknown, i) => toolFromFunction(fn, `functions.${i}`));
}

/** `strict` is dropped: Anthropic's own OpenAI layer ignores it, and older models reject the field. */
function toolFromFunction(fn: unknown, param: string): AnthropicTool {
  const def = asRecord(fn);
  if (typeof def.name !== 'string' || def.name === '') throw invalidRequest(`${param}.name`, 'must be a non-empty string');
  // Anthropic requires an object schema; OpenAI lets `parameters` be omitted for argument-less tools.
  const schema = isRecord(def.parameters) ? def.parameters : {};
  const tool: AnthropicTool = { name: def.name, input_schema: { type: 'object', properties: {}, ...schema } };
  if (typeof def.description === 'string' && def.description !== '') tool.description = def.description;
  return tool;
}

/** The deprecated function_call in tool_choice vocabulary. */
function legacyChoice(functionCall: unknown): unknown {
  if (isRecord(functionCall)) return { type: 'function', function: functionCall };
  return functionCall;
}

function mapChoice(choice: unknown, param: string): MappedChoice {
  switch (choice) {
    case undefined:
    case null:
      return { choice: undefined, allowed: undefined };
    case 'auto':
      return { choice: { type: 'auto' }, allowed: undefined };
    case 'required':
      return { choice: { type: 'any' }, allowed: undefined };
    case 'none':
      return { choice: { type: 'none' }, allowed: undefined };
  }
  const object = asRecord(choice);
  if (object.type === 'function') return { choice: { type: 'tool', name: namedTool(object.function, `${param}.function.name`) }, allowed: undefined };
  if (object.type === 'allowed_tools') return allowedTools(asRecord(object.allowed_tools), `${param}.allowed_tools`);
  throw invalidRequest(param, 'must be none, auto, required or a function or allowed_tools object');
}

function namedTool(fn: unknown, param: string): string {
  const name = asRecord(fn).name;
  if (typeof name !== 'string' || name === '') throw invalidRequest(param, 'must be a non-empty string');
  return name;
}

/** No Anthropic equivalent: offer only the allowed tools and keep the mode (translation.md §1.3 recommend). */
function allowedTools(spec: JsonObject, param: string): MappedChoice {
  if (spec.mode !== 'auto' && spec.mode !== 'required') throw invalidRequest(`${param}.mode`, 'must be auto or required');
  if (!Array.isArray(spec.tools)) throw invalidRequest(`${param}.tools`, 'must be an array');
  const names = spec.tools.map((tool: unknown, i) => namedTool(asRecord(tool).function, `${param}.tools.${i}.function.name`));
  return { choice: { type: spec.mode === 'auto' ? 'auto' : 'any' }, allowed: new Set(names) };
}

/** parallel_tool_calls:false is Anthropic's disable_parallel_tool_use, which "none" does not accept. */
function withParallelism(choice: AnthropicToolChoice | undefined, parallel: unknown): AnthropicToolChoice | undefined {
  if (parallel !== false) return choice;
  const base = choice ?? { type: 'auto' };
  return base.type === 'none' ? base : { ...base, disable_parallel_tool_use: true };
}
