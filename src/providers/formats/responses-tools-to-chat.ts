import type { OpenAIFunctionTool, OpenAIToolChoice } from './openai-types.ts';
import { isRecord, type JsonObject } from './json-value.ts';
import type { ResponsesFunctionTool, ResponsesToolChoice } from './responses-types.ts';
import { invalidRequest, unsupportedParameter } from './request-errors.ts';
import { STRICT, type TranslationRefusals } from './responses-refusals.ts';

export interface ToolsTranslation {
  chat: OpenAIFunctionTool[];
  /** The tools as the Response repeats them. */
  echo: ResponsesFunctionTool[];
}

export interface ToolChoiceTranslation {
  /** Undefined: leave tool_choice out of the chat request (chat's default, or no tools to choose from). */
  chat: OpenAIToolChoice | undefined;
  echo: ResponsesToolChoice;
}

/**
 * Responses tools → chat tools. Function tools are flat in Responses and nested under `function` in chat.
 * Every other type (web_search, file_search, code_interpreter, computer_use_preview, image_generation, mcp,
 * local_shell, shell, apply_patch, custom, namespace, tool_search, …) runs inside OpenAI or takes free-form
 * input, and a Chat Completions upstream has neither: refused, naming the type (left out when lenient).
 */
export function responsesToolsToChat(tools: unknown, refusals: TranslationRefusals = STRICT): ToolsTranslation {
  if (tools === undefined || tools === null) return { chat: [], echo: [] };
  if (!Array.isArray(tools)) throw invalidRequest('tools', 'must be an array');
  const out: ToolsTranslation = { chat: [], echo: [] };
  tools.forEach((raw: unknown, i) => {
    const param = `tools[${i}]`;
    if (!isRecord(raw)) throw invalidRequest(param, 'must be a tool object');
    if (typeof raw.type !== 'string' || raw.type === '') throw invalidRequest(`${param}.type`, 'is required');
    if (raw.type !== 'function') {
      refusals.refuse(unsupportedParameter(`${param}.type`, `"${raw.type.slice(0, 60)}" tools run inside OpenAI (or take free-form input); this model's provider speaks Chat Completions, which can call function tools only`));
      return;
    }
    const tool = functionTool(raw, param);
    out.echo.push(tool);
    const fn: OpenAIFunctionTool['function'] = { name: tool.name };
    if (tool.description !== null && tool.description !== undefined) fn.description = tool.description;
    if (tool.parameters !== null) fn.parameters = tool.parameters;
    // Responses treats an absent strict as true, chat as false; sent only when the caller chose, because
    // strict mode fails schemas that do not meet its rules and many OpenAI-compatible servers lack it.
    if (tool.strict !== null) fn.strict = tool.strict;
    out.chat.push({ type: 'function', function: fn });
  });
  return out;
}

function functionTool(raw: JsonObject, param: string): ResponsesFunctionTool {
  if (typeof raw.name !== 'string' || raw.name === '') throw invalidRequest(`${param}.name`, 'must be a non-empty string');
  if (raw.description !== undefined && raw.description !== null && typeof raw.description !== 'string') {
    throw invalidRequest(`${param}.description`, 'must be a string');
  }
  if (raw.parameters !== undefined && raw.parameters !== null && !isRecord(raw.parameters)) {
    throw invalidRequest(`${param}.parameters`, 'must be a JSON Schema object');
  }
  if (raw.strict !== undefined && raw.strict !== null && typeof raw.strict !== 'boolean') throw invalidRequest(`${param}.strict`, 'must be a boolean');
  // In the order the API repeats tools in.
  return {
    type: 'function',
    description: typeof raw.description === 'string' ? raw.description : null,
    name: raw.name,
    parameters: isRecord(raw.parameters) ? raw.parameters : null,
    strict: typeof raw.strict === 'boolean' ? raw.strict : null,
  };
}

/**
 * Responses tool_choice → chat's. A named function must be one of the tools (the API's own check, made here
 * so the caller sees the Responses field instead of a chat upstream's complaint). A choice of a built-in tool is
 * refused (left out when lenient); so is a built-in tool among allowed_tools.
 */
export function responsesToolChoiceToChat(choice: unknown, tools: readonly ResponsesFunctionTool[], refusals: TranslationRefusals = STRICT): ToolChoiceTranslation {
  if (choice === undefined || choice === null) return { chat: undefined, echo: 'auto' };
  const names = new Set(tools.map((tool) => tool.name));
  if (choice === 'auto' || choice === 'none' || choice === 'required') {
    // Built-in tools left out of a lenient translation may be the ones "required" asks for.
    if (choice === 'required' && tools.length === 0 && !refusals.any) throw invalidRequest('tool_choice', '"required" needs at least one function tool in tools');
    // Chat rejects tool_choice without tools; with none given, "auto" and "none" mean the same anyway.
    return { chat: tools.length === 0 ? undefined : choice, echo: choice };
  }
  if (!isRecord(choice)) throw invalidRequest('tool_choice', 'must be "auto", "none", "required" or a tool choice object');
  if (choice.type === 'function') {
    const name = knownName(choice.name, names, 'tool_choice.name');
    return { chat: { type: 'function', function: { name } }, echo: { type: 'function', name } };
  }
  if (choice.type === 'allowed_tools') return allowedTools(choice, names, refusals);
  if (typeof choice.type === 'string' && choice.type !== '') {
    refusals.refuse(unsupportedParameter('tool_choice.type', `"${choice.type.slice(0, 60)}" names a tool that runs inside OpenAI; this model's provider can choose function tools only`));
    return { chat: undefined, echo: 'auto' };
  }
  throw invalidRequest('tool_choice.type', 'is required');
}

function allowedTools(choice: JsonObject, names: ReadonlySet<string>, refusals: TranslationRefusals): ToolChoiceTranslation {
  const mode = choice.mode;
  if (mode !== 'auto' && mode !== 'required') throw invalidRequest('tool_choice.mode', 'must be "auto" or "required"');
  if (!Array.isArray(choice.tools) || choice.tools.length === 0) throw invalidRequest('tool_choice.tools', 'must be a non-empty array');
  const allowed = choice.tools.flatMap((raw: unknown, k) => {
    const param = `tool_choice.tools[${k}]`;
    const entry = isRecord(raw) ? raw : {};
    if (entry.type !== 'function') {
      refusals.refuse(unsupportedParameter(`${param}.type`, 'only function tools can be allowed on this model\'s provider'));
      return [];
    }
    return [knownName(entry.name, names, `${param}.name`)];
  });
  if (allowed.length === 0) return { chat: undefined, echo: 'auto' };
  return {
    chat: { type: 'allowed_tools', allowed_tools: { mode, tools: allowed.map((name) => ({ type: 'function', function: { name } })) } },
    echo: { type: 'allowed_tools', mode, tools: allowed.map((name) => ({ type: 'function', name })) },
  };
}

function knownName(name: unknown, names: ReadonlySet<string>, param: string): string {
  if (typeof name !== 'string' || name === '') throw invalidRequest(param, 'must be a non-empty string');
  if (!names.has(name)) throw invalidRequest(param, `"${name}" is not a function in tools`);
  return name;
}
