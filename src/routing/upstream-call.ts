import { GatewayError } from '../errors/gateway-error.ts';
import { anthropicToOpenAIRequest } from '../providers/formats/anthropic-to-openai-request.ts';
import type { AnthropicMessagesRequest } from '../providers/formats/anthropic-types.ts';
import { JSON_TOOL_NAME, openaiToAnthropicRequest } from '../providers/formats/openai-to-anthropic-request.ts';
import type { OpenAIChatRequest } from '../providers/formats/openai-types.ts';
import type { Operation } from '../providers/provider-adapter.ts';
import type { CallContext } from './call-context.ts';
import type { Target } from './plan.ts';

/** How the answer must be treated on the way back. */
export type Translation = 'none' | 'anthropic-to-openai' | 'openai-to-anthropic';

/** What to send to one target, and how to read what comes back. */
export interface UpstreamCall {
  readonly operation: Operation;
  readonly body: string | Buffer;
  readonly translation: Translation;
  /** The caller did not ask for the OpenAI usage chunk; we asked upstream for it and drop it on the way back. */
  readonly dropUsageChunk: boolean;
  /** Whether the caller wants the usage chunk (OpenAI dialect streams). */
  readonly includeUsage: boolean;
  /** Set when JSON mode is emulated with a forced tool on an Anthropic upstream. */
  readonly jsonToolName: string | undefined;
}

/**
 * Builds the upstream request for a target. Same format: the caller's bytes go as they came whenever nothing
 * must change; different formats: the body is translated.
 */
export function buildUpstreamCall(ctx: CallContext, target: Target, defaultMaxTokens: number): UpstreamCall {
  if (ctx.endpoint === 'embeddings') {
    if (target.format !== 'openai') throw notSupported(target, 'embeddings');
    return sameFormat(ctx, target, 'embeddings');
  }
  if (ctx.endpoint === 'count_tokens') return sameFormat(ctx, target, 'count_tokens');
  if (ctx.callerFormat === target.format) return sameFormat(ctx, target, target.format === 'openai' ? 'chat' : 'messages');
  if (ctx.callerFormat === 'openai') {
    const translated = openaiToAnthropicRequest(ctx.body as OpenAIChatRequest, target.model, { defaultMaxTokens });
    const responseFormat = (ctx.body.response_format as { type?: unknown } | undefined)?.type;
    return {
      operation: 'messages', body: JSON.stringify(translated), translation: 'anthropic-to-openai', dropUsageChunk: false,
      includeUsage: wantsUsage(ctx), jsonToolName: responseFormat === 'json_schema' || responseFormat === 'json_object' ? JSON_TOOL_NAME : undefined,
    };
  }
  const translated = anthropicToOpenAIRequest(ctx.body as AnthropicMessagesRequest, target.model);
  return { operation: 'chat', body: JSON.stringify(translated), translation: 'openai-to-anthropic', dropUsageChunk: false, includeUsage: true, jsonToolName: undefined };
}

function sameFormat(ctx: CallContext, target: Target, operation: Operation): UpstreamCall {
  const dropUsageChunk = ctx.stream && operation === 'chat' && !wantsUsage(ctx);
  let body: string | Buffer = ctx.raw;
  if (dropUsageChunk) {
    const options = (ctx.body.stream_options ?? {}) as Record<string, unknown>;
    body = JSON.stringify({ ...ctx.body, model: target.model, stream_options: { ...options, include_usage: true } });
  } else if (ctx.model !== target.model) {
    body = JSON.stringify({ ...ctx.body, model: target.model });
  }
  return { operation, body, translation: 'none', dropUsageChunk, includeUsage: !dropUsageChunk, jsonToolName: undefined };
}

function wantsUsage(ctx: CallContext): boolean {
  return (ctx.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
}

function notSupported(target: Target, what: string): GatewayError {
  return new GatewayError('SB_ENDPOINT_NOT_SUPPORTED', {
    param: 'model', message: `Provider "${target.provider}" (${target.format} API) does not offer ${what}; pick a model served by an OpenAI-compatible provider.`,
  });
}
