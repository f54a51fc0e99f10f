import type { CallContext } from '../domain/call-context.ts';

/** Seed 002 writes parameters in camelCase; the wire formats use snake_case. Other names are taken as written. */
const WIRE_NAMES: Readonly<Record<string, string>> = {
  maxTokens: 'max_tokens', topP: 'top_p', topK: 'top_k', frequencyPenalty: 'frequency_penalty', presencePenalty: 'presence_penalty',
  stopSequences: 'stop', seed: 'seed', temperature: 'temperature',
};

/** A registered model's default parameters by their wire names; undefined when it has none. */
export function wireDefaults(parameters: Readonly<Record<string, number | string | boolean>>): Readonly<Record<string, number | string | boolean>> | undefined {
  const entries = Object.entries(parameters);
  if (entries.length === 0) return undefined;
  return Object.freeze(Object.fromEntries(entries.map(([name, value]) => [WIRE_NAMES[name] ?? name, value])));
}

/**
 * The request with the model's defaults where the caller set none (chat and messages only: embeddings and
 * token counts take no sampling parameters). Unchanged, bytes included, when the caller set them all.
 */
export function withDefaultParameters(ctx: CallContext, defaults: Readonly<Record<string, unknown>>): CallContext {
  if (ctx.endpoint !== 'chat' && ctx.endpoint !== 'messages') return ctx;
  let body: Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(defaults)) {
    if (ctx.body[name] !== undefined) continue;
    body ??= { ...ctx.body };
    body[name] = value;
  }
  return body === undefined ? ctx : { ...ctx, body, raw: Buffer.from(JSON.stringify(body)) };
}
