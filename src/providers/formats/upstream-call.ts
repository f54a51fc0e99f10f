import { GatewayError } from '../../errors/gateway-error.ts';
import { anthropicToOpenAIRequest } from './anthropic-to-openai-request.ts';
import type { AnthropicMessagesRequest } from './anthropic-types.ts';
import { hasListedParam, withoutListed } from './drop-params.ts';
import { asRecord, type JsonObject } from './json-value.ts';
import { jsonToolNameFor, openaiToAnthropicRequest } from './openai-to-anthropic-request.ts';
import type { OpenAIChatRequest } from './openai-types.ts';
import type { Operation } from '../provider-adapter.ts';
import type { CallContext } from '../../domain/call-context.ts';
import type { Target } from '../../domain/plan.ts';
import type { ResponsesTurn } from '../../domain/responses-turn.ts';

/** How the answer must be treated on the way back. */
export type Translation = 'none' | 'anthropic-to-openai' | 'openai-to-anthropic';
/**
 * A Responses API call: 'native' when the upstream speaks the API (the caller's request goes to it), 'from-chat'
 * when it went as a chat completion whose answer is made back into a Response; 'none' for every other call.
 */
export type ResponsesMode = 'none' | 'native' | 'from-chat';

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
  readonly responses: ResponsesMode;
}

/**
 * Builds the upstream request for a target. Same format: the caller's bytes go as they came whenever nothing
 * must change; different formats: the body is translated. Either way the target's dropParams are removed
 * first, and a translator refuses what the target cannot honour (SB_UNSUPPORTED_PARAMETER).
 */
export function buildUpstreamCall(ctx: CallContext, target: Target, defaultMaxTokens: number, operations?: ReadonlySet<Operation>): UpstreamCall {
  if (ctx.responses !== undefined) {
    if (operations?.has('responses') === true) return nativeResponses(ctx.responses, target);
    // What the chat could not carry (a built-in tool, an item only OpenAI holds) is this target's refusal.
    if (ctx.responses.untranslatable !== undefined) throw ctx.responses.untranslatable;
    try {
      return { ...chatCall(ctx, target, defaultMaxTokens), responses: 'from-chat' };
    } catch (err) {
      throw inResponsesTerms(err);
    }
  }
  return chatCall(ctx, target, defaultMaxTokens);
}

/**
 * The Responses fields that become top-level chat fields under another name (responsesToChatRequest), with the
 * chat name first. Fields of the same name (temperature, top_p, user, service_tier) need no entry.
 */
const RESPONSES_FIELDS: ReadonlyArray<readonly [chat: string, responses: string]> = [
  ['verbosity', 'text.verbosity'],
  ['reasoning_effort', 'reasoning.effort'],
  ['max_completion_tokens', 'max_output_tokens'],
  ['response_format.json_schema', 'text.format'],
  ['response_format', 'text.format'],
];

/**
 * A refusal of the chat a Responses request became (an Anthropic target without verbosity, say), naming the field
 * the caller sent (`text.verbosity`) instead of the chat's (`verbosity`). The dropParams name in its message stays
 * the chat's: that is the body dropParams acts on for this target. Paths into messages keep the chat's terms (the
 * translation merges and orders items), as does every other error.
 */
function inResponsesTerms(err: unknown): unknown {
  if (!(err instanceof GatewayError) || err.param === undefined) return err;
  const chatParam = err.param;
  const match = RESPONSES_FIELDS.find(([chat]) => chatParam === chat || chatParam.startsWith(`${chat}.`));
  if (match === undefined) return err;
  const param = match[1] + chatParam.slice(match[0].length);
  const message = err.message.startsWith(`${chatParam}: `) ? `${param}: ${err.message.slice(chatParam.length + 2)}` : err.message;
  return new GatewayError(err.code, { param, message, status: err.status, retryable: err.retryable, cause: err });
}

/** Every call but a Responses one to an upstream that speaks that API. */
function chatCall(ctx: CallContext, target: Target, defaultMaxTokens: number): UpstreamCall {
  if (ctx.endpoint === 'embeddings') {
    if (target.format !== 'openai') throw notSupported(target, 'embeddings');
    return sameFormat(ctx, target, 'embeddings');
  }
  if (ctx.endpoint === 'count_tokens') return sameFormat(ctx, target, 'count_tokens');
  if (ctx.callerFormat === target.format) return sameFormat(ctx, target, target.format === 'openai' ? 'chat' : 'messages');
  if (ctx.callerFormat === 'openai') {
    const options = { defaultMaxTokens, dropParams: target.dropParams, reasoning: target.reasoning, provider: target.provider };
    const translated = openaiToAnthropicRequest(ctx.body as OpenAIChatRequest, target.wireModel, options);
    // A dropped response_format means no emulation tool was added, so none must be unwrapped on the way back.
    const jsonToolName = target.dropParams.has('response_format') ? undefined : jsonToolNameFor(ctx.body);
    return {
      operation: 'messages', body: JSON.stringify(translated), translation: 'anthropic-to-openai', dropUsageChunk: false,
      includeUsage: wantsUsage(ctx), jsonToolName, responses: 'none',
    };
  }
  const options = { dropParams: target.dropParams, reasoning: target.reasoning, provider: target.provider };
  const translated = anthropicToOpenAIRequest(ctx.body as AnthropicMessagesRequest, target.wireModel, options);
  return { operation: 'chat', body: JSON.stringify(translated), translation: 'openai-to-anthropic', dropUsageChunk: false, includeUsage: true, jsonToolName: undefined, responses: 'none' };
}

/**
 * The caller's Responses request, for an upstream that speaks the API: its bytes as they came, unless the model
 * id differs, a listed dropParam is present, or items kept by the gateway must go in its input: the earlier turns
 * (the upstream is never sent a previous_response_id: it may not hold that turn), or the items the input named
 * by item_reference to the gateway's own ids, which the upstream never saw.
 */
function nativeResponses(turn: ResponsesTurn, target: Target): UpstreamCall {
  const dropsParams = hasListedParam(turn.body, target.dropParams);
  const ownItems = turn.history.length > 0 || turn.resolvedFromStore;
  let body: string | Buffer = turn.raw;
  if (dropsParams || ownItems || turn.body.model !== target.wireModel) {
    const rewritten: JsonObject = { ...(dropsParams ? withoutListed(turn.body, target.dropParams) : turn.body), model: target.wireModel };
    if (ownItems) {
      rewritten.input = [...turn.history, ...turn.input];
      delete rewritten.previous_response_id;
    }
    body = JSON.stringify(rewritten);
  }
  return { operation: 'responses', body, translation: 'none', dropUsageChunk: false, includeUsage: false, jsonToolName: undefined, responses: 'native' };
}

/**
 * The hot path: the caller's raw bytes, unless the model id, the usage chunk or a listed dropParam needs a
 * change. The dropParams check is allocation-free and does nothing when the target lists none.
 */
function sameFormat(ctx: CallContext, target: Target, operation: Operation): UpstreamCall {
  const dropUsageChunk = ctx.stream && operation === 'chat' && !wantsUsage(ctx);
  const dropsParams = hasListedParam(ctx.body, target.dropParams);
  const body = dropUsageChunk || dropsParams || ctx.model !== target.wireModel ? rewritten(ctx, target, dropsParams, dropUsageChunk) : ctx.raw;
  return { operation, body, translation: 'none', dropUsageChunk, includeUsage: !dropUsageChunk, jsonToolName: undefined, responses: 'none' };
}

function rewritten(ctx: CallContext, target: Target, dropsParams: boolean, forceUsage: boolean): string {
  const body: JsonObject = { ...(dropsParams ? withoutListed(ctx.body, target.dropParams) : ctx.body), model: target.wireModel };
  // The gateway needs usage to record the call; the chunk is taken out again on the way back.
  if (forceUsage) body.stream_options = { ...asRecord(ctx.body.stream_options), include_usage: true };
  return JSON.stringify(body);
}

function wantsUsage(ctx: CallContext): boolean {
  return (ctx.body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
}

function notSupported(target: Target, what: string): GatewayError {
  return new GatewayError('SB_ENDPOINT_NOT_SUPPORTED', {
    param: 'model', message: `Provider "${target.provider}" (${target.format} API) does not offer ${what}; pick a model served by an OpenAI-compatible provider.`,
  });
}
