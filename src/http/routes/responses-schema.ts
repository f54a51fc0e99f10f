/**
 * The JSON Schema fastify checks a POST /v1/responses body against: the top-level shape only. Items, content
 * parts and tools are checked by the translation (responses-to-chat-request.ts), which names the field at fault
 * in the caller's terms (input[2].content[0].type) and knows which upstream can honour what.
 */
export const responsesBodySchema = {
  type: 'object',
  required: ['model'],
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 256 },
    stream: { type: 'boolean' },
    store: { type: ['boolean', 'null'] },
    input: { anyOf: [{ type: 'string' }, { type: 'array', maxItems: 10_000, items: { type: 'object' } }] },
    instructions: { type: ['string', 'null'] },
    previous_response_id: { type: ['string', 'null'], minLength: 1, maxLength: 256 },
    tools: { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } },
    max_output_tokens: { type: ['integer', 'null'], minimum: 1 },
    temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
    top_p: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    parallel_tool_calls: { type: ['boolean', 'null'] },
    metadata: { type: ['object', 'null'], maxProperties: 16, additionalProperties: { type: 'string', maxLength: 512 } },
    user: { type: 'string', maxLength: 256 },
  },
} as const;
