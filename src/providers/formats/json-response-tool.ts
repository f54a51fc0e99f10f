import type { AnthropicTool } from './anthropic-types.ts';
import { asString, isRecord } from './json-value.ts';
import { invalidRequest, unsupportedParameter } from './request-errors.ts';

/**
 * OpenAI response_format has no Anthropic field that every model accepts, so it is emulated with one
 * forced tool whose input is the JSON answer (LiteLLM "json_tool_call", Vercel "json"). The response
 * translators turn that tool call back into message content with finish_reason "stop".
 */
export const JSON_TOOL_NAME = 'json_response';

const OPEN_OBJECT_SCHEMA = { type: 'object', additionalProperties: true, properties: {} };

/** The emulation tool for a response_format, or undefined when the format asks for plain text. */
export function jsonResponseTool(responseFormat: unknown): AnthropicTool | undefined {
  if (responseFormat === undefined || responseFormat === null) return undefined;
  if (!isRecord(responseFormat)) throw invalidRequest('response_format', 'must be an object');
  switch (responseFormat.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { name: JSON_TOOL_NAME, description: 'Respond with a JSON object.', input_schema: { ...OPEN_OBJECT_SCHEMA } };
    case 'json_schema':
      return schemaTool(responseFormat.json_schema);
    default:
      throw invalidRequest('response_format.type', 'must be text, json_object or json_schema');
  }
}

function schemaTool(spec: unknown): AnthropicTool {
  if (!isRecord(spec)) throw invalidRequest('response_format.json_schema', 'must be an object');
  const schema = isRecord(spec.schema) ? { type: 'object', ...spec.schema } : { ...OPEN_OBJECT_SCHEMA };
  if (schema.type !== 'object') {
    throw unsupportedParameter('response_format.json_schema.schema', 'the root of the schema must be of type "object"');
  }
  const name = asString(spec.name);
  const description = asString(spec.description) ?? `Respond with a JSON object${name === undefined ? '' : ` (${name})`} that matches the input schema.`;
  return { name: JSON_TOOL_NAME, description, input_schema: schema };
}

/**
 * The jsonToolName to give the response and stream translators for a request that
 * openaiToAnthropicRequest translated: set exactly when it added the emulation tool.
 */
export function jsonToolNameFor(body: unknown): string | undefined {
  if (!isRecord(body) || !isRecord(body.response_format)) return undefined;
  const type = body.response_format.type;
  return type === 'json_object' || type === 'json_schema' ? JSON_TOOL_NAME : undefined;
}
