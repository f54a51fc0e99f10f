/**
 * JSON Schemas for the fields of /v1 bodies the gateway itself reads; everything else passes through to the
 * provider, which validates it. Compiled by fastify once, at start-up.
 */
const model = { type: 'string', minLength: 1, maxLength: 256 } as const;
const stream = { type: 'boolean' } as const;
const role = { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool', 'function'] } as const;

export const chatBodySchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model,
    stream,
    messages: { type: 'array', minItems: 1, items: { type: 'object', required: ['role'], properties: { role } } },
    n: { type: 'integer', minimum: 1, maximum: 128 },
    stream_options: { type: ['object', 'null'], properties: { include_usage: { type: 'boolean' } } },
    tools: { type: 'array', items: { type: 'object' } },
    max_tokens: { type: ['integer', 'null'], minimum: 1 },
    max_completion_tokens: { type: ['integer', 'null'], minimum: 1 },
    stop: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }, { type: 'null' }] },
    response_format: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
  },
} as const;

export const embeddingsBodySchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model,
    input: { anyOf: [{ type: 'string' }, { type: 'array', minItems: 1 }] },
    dimensions: { type: 'integer', minimum: 1 },
    encoding_format: { type: 'string', enum: ['float', 'base64'] },
  },
} as const;

const anthropicMessages = {
  type: 'array', minItems: 1,
  items: { type: 'object', required: ['role', 'content'], properties: { role: { type: 'string', enum: ['user', 'assistant', 'system'] }, content: { anyOf: [{ type: 'string' }, { type: 'array' }] } } },
} as const;
const system = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }] } as const;

export const messagesBodySchema = {
  type: 'object',
  required: ['model', 'messages', 'max_tokens'],
  properties: { model, stream, messages: anthropicMessages, system, max_tokens: { type: 'integer', minimum: 1 }, tools: { type: 'array', items: { type: 'object' } } },
} as const;

export const countTokensBodySchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: { model, messages: anthropicMessages, system, tools: { type: 'array', items: { type: 'object' } } },
} as const;
