import { randomUUIDv7 } from 'node:crypto';
import { Readable } from 'node:stream';
import type { PriceBook } from '../budgets/pricing.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { anthropicToOpenAIResponse } from '../providers/formats/anthropic-to-openai-response.ts';
import type { AnthropicMessage } from '../providers/formats/anthropic-types.ts';
import { openaiToAnthropicResponse } from '../providers/formats/openai-to-anthropic-response.ts';
import type { OpenAIChatCompletion } from '../providers/formats/openai-types.ts';
import { countMessageTokens } from '../providers/formats/token-counter.ts';
import { parseUpstreamError } from '../providers/formats/upstream-error.ts';
import { usageFromAnthropic, usageFromOpenAI, ZERO_USAGE, type TokenUsage } from '../providers/formats/usage.ts';
import type { ProviderAdapter, UpstreamResponse } from '../providers/provider-adapter.ts';
import type { UsageOutcome, UsageRecord } from '../usage/usage-record.ts';
import type { Answer } from './answer.ts';
import type { CallContext } from './call-context.ts';
import type { ModelCatalogue } from './model-catalogue.ts';
import type { Plan, Target } from './plan.ts';
import { parseUpstreamJson, readBody } from './read-body.ts';
import { relayStream } from './stream-relay.ts';
import { buildUpstreamCall, type UpstreamCall } from './upstream-call.ts';

/** Where finished usage records go; the recorder writes them off the response path. */
export interface UsageSink {
  record(record: UsageRecord): void;
}

export interface ExecutorDeps {
  readonly catalogue: ModelCatalogue;
  readonly providers: ReadonlyMap<string, ProviderAdapter>;
  readonly prices: PriceBook;
  readonly usage: UsageSink;
  readonly defaultMaxTokens: number;
}

interface Outcome {
  readonly target: Target | null;
  readonly status: number;
  readonly outcome: UsageOutcome;
  readonly errorCode: string | null;
  readonly usage: TokenUsage;
  readonly ttftMs: number | null;
}

/**
 * Runs a Plan: the only place that calls providers. Tries the plan's targets in order (a transport failure,
 * 429 or 5xx moves on to the next one while nothing was sent to the caller), translates formats where caller
 * and provider differ, and records one usage record per attempt plus one for the request.
 */
export class Executor {
  readonly #deps: ExecutorDeps;

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  /** The plan for a caller's model, after checking the caller may use it. */
  plan(ctx: CallContext): Plan {
    const plan = this.#deps.catalogue.resolve(ctx.model);
    const allowed = ctx.principal.models;
    const target = plan.targets[0];
    if (allowed !== null && !allowed.has(ctx.model) && (target === undefined || !allowed.has(`${target.provider}/${target.model}`))) {
      throw new GatewayError('SB_MODEL_NOT_ALLOWED', { param: 'model', message: `This key may not use model "${ctx.model.slice(0, 200)}".` });
    }
    return plan;
  }

  async execute(ctx: CallContext): Promise<Answer> {
    let plan: Plan;
    try {
      plan = this.plan(ctx);
    } catch (err) {
      this.#requestRecord(ctx, { target: null, status: (err as GatewayError).status ?? 500, outcome: 'error', errorCode: (err as GatewayError).code ?? 'SB_INTERNAL', usage: ZERO_USAGE, ttftMs: null });
      throw err;
    }
    let lastError: unknown;
    for (const [index, target] of plan.targets.entries()) {
      const last = index === plan.targets.length - 1;
      try {
        return await this.#attempt(ctx, target, index + 1);
      } catch (err) {
        lastError = err;
        if (last || ctx.signal.aborted || !isRetryable(err)) break;
      }
    }
    const err = lastError instanceof GatewayError ? lastError : toGatewayError(lastError, ctx);
    this.#requestRecord(ctx, { target: plan.targets.at(-1) ?? null, status: err.status, outcome: ctx.signal.aborted && !isDeadline(ctx) ? 'client_aborted' : 'error', errorCode: err.code, usage: ZERO_USAGE, ttftMs: null });
    throw err;
  }

  async #attempt(ctx: CallContext, target: Target, attempt: number): Promise<Answer> {
    const adapter = this.#deps.providers.get(target.provider);
    if (adapter === undefined) throw new GatewayError('SB_MODEL_NOT_FOUND', { param: 'model', message: `Provider "${target.provider}" is not configured.` });
    if (ctx.endpoint === 'count_tokens' && adapter.format !== 'anthropic') return this.#countLocally(ctx, target);
    const call = buildUpstreamCall(ctx, target, this.#deps.defaultMaxTokens);
    const started = performance.now();
    const startedMs = Date.now();
    let response: UpstreamResponse;
    try {
      response = await adapter.send({ operation: call.operation, model: target.model, body: call.body, stream: ctx.stream, headers: upstreamHeaders(ctx, call), signal: ctx.signal });
    } catch (err) {
      const e = toGatewayError(err, ctx);
      this.#attemptRecord(ctx, attempt, startedMs, started, { target, status: 0, outcome: ctx.signal.aborted && !isDeadline(ctx) ? 'client_aborted' : 'error', errorCode: e.code, usage: ZERO_USAGE, ttftMs: null });
      throw e;
    }
    if (response.status >= 400) {
      const e = await this.#upstreamError(response, target);
      this.#attemptRecord(ctx, attempt, startedMs, started, { target, status: response.status, outcome: 'error', errorCode: e.code, usage: ZERO_USAGE, ttftMs: performance.now() - started });
      throw e;
    }
    return ctx.stream && ctx.endpoint !== 'count_tokens' && ctx.endpoint !== 'embeddings'
      ? this.#streamAnswer(ctx, target, call, response, attempt, startedMs, started)
      : this.#jsonAnswer(ctx, target, call, response, attempt, startedMs, started);
  }

  async #jsonAnswer(ctx: CallContext, target: Target, call: UpstreamCall, response: UpstreamResponse, attempt: number, startedMs: number, started: number): Promise<Answer> {
    let bytes: Buffer;
    let body: Record<string, unknown>;
    try {
      bytes = await readBody(response.body, target.provider);
      body = parseUpstreamJson(bytes, target.provider);
    } catch (err) {
      const e = toGatewayError(err, ctx);
      this.#attemptRecord(ctx, attempt, startedMs, started, { target, status: response.status, outcome: 'error', errorCode: e.code, usage: ZERO_USAGE, ttftMs: null });
      throw e;
    }
    const ttftMs = performance.now() - started;
    const usage = target.format === 'openai' ? usageFromOpenAI(body.usage) : usageFromAnthropic(body.usage);
    let answer: string | Buffer;
    try {
      answer = call.translation === 'none' ? bytes : JSON.stringify(this.#translate(call, body, target));
    } catch (err) {
      const e = toGatewayError(err, ctx);
      this.#attemptRecord(ctx, attempt, startedMs, started, { target, status: response.status, outcome: 'error', errorCode: e.code, usage: ZERO_USAGE, ttftMs });
      throw e;
    }
    const result: Outcome = { target, status: 200, outcome: 'ok', errorCode: null, usage, ttftMs };
    // Records are made once the answer is on its way, keeping their cost off the caller's latency.
    const settle = (): void => {
      this.#attemptRecord(ctx, attempt, startedMs, started, result);
      this.#requestRecord(ctx, result);
    };
    return { kind: 'json', status: 200, body: answer, settle };
  }

  #translate(call: UpstreamCall, body: Record<string, unknown>, target: Target): unknown {
    const model = typeof body.model === 'string' ? body.model : target.model;
    return call.translation === 'anthropic-to-openai'
      ? anthropicToOpenAIResponse(body as unknown as AnthropicMessage, { model, ...(call.jsonToolName ? { jsonToolName: call.jsonToolName } : {}) })
      : openaiToAnthropicResponse(body as unknown as OpenAIChatCompletion, { model });
  }

  #streamAnswer(ctx: CallContext, target: Target, call: UpstreamCall, response: UpstreamResponse, attempt: number, startedMs: number, started: number): Answer {
    return {
      kind: 'stream',
      pipeTo: async (sink) => {
        const source = Buffer.isBuffer(response.body) ? Readable.from([response.body]) : response.body;
        const result = await relayStream(source, sink, { call, callerFormat: ctx.callerFormat, provider: target.provider, model: target.model, signal: ctx.signal, startedAt: started });
        const outcome: Outcome = { target, status: 200, outcome: result.outcome, errorCode: result.errorCode, usage: result.usage, ttftMs: result.ttftMs };
        this.#attemptRecord(ctx, attempt, startedMs, started, outcome);
        this.#requestRecord(ctx, { ...outcome, ttftMs: result.ttftMs === null ? null : result.ttftMs + (started - ctx.startedAt) });
      },
    };
  }

  #countLocally(ctx: CallContext, target: Target): Answer {
    const inputTokens = countMessageTokens(ctx.body);
    this.#requestRecord(ctx, { target, status: 200, outcome: 'ok', errorCode: null, usage: ZERO_USAGE, ttftMs: null });
    return { kind: 'json', status: 200, body: JSON.stringify({ input_tokens: inputTokens }) };
  }

  async #upstreamError(response: UpstreamResponse, target: Target): Promise<GatewayError> {
    let text = '';
    try {
      text = (await readBody(response.body, target.provider)).toString('utf8');
    } catch {
      // the status alone still says what happened
    }
    const parsed = parseUpstreamError(response.status, text);
    const retryAfter = Number(response.headers['retry-after']);
    return new GatewayError('SB_UPSTREAM_ERROR', {
      status: parsed.status, retryable: parsed.status === 408 || parsed.status === 429 || parsed.status >= 500, message: `Provider "${target.provider}" answered ${response.status}: ${parsed.message}`,
      ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfter } : {}),
    });
  }

  #attemptRecord(ctx: CallContext, attempt: number, startedMs: number, started: number, o: Outcome): void {
    this.#deps.usage.record(this.#record(ctx, 'attempt', attempt, startedMs, performance.now() - started, o));
  }

  #requestRecord(ctx: CallContext, o: Outcome): void {
    this.#deps.usage.record(this.#record(ctx, 'request', 0, ctx.startedMs, performance.now() - ctx.startedAt, o));
  }

  #record(ctx: CallContext, kind: UsageRecord['kind'], attempt: number, startedMs: number, latencyMs: number, o: Outcome): UsageRecord {
    const model = o.target?.model ?? null;
    const price = o.target?.pricing;
    const costUsd = model === null ? 0 : price === undefined ? this.#deps.prices.cost(model, o.usage) : this.#deps.prices.costWith(price, o.usage);
    return {
      id: randomUUIDv7(), requestId: ctx.requestId, kind, attempt, startedAt: new Date(startedMs).toISOString(), keyId: ctx.principal.keyId, endpoint: ctx.endpoint,
      stream: ctx.stream, provider: o.target?.provider ?? null, modelRequested: ctx.model, modelServed: model, status: o.status,
      outcome: o.outcome, errorCode: o.errorCode, inputTokens: o.usage.inputTokens, outputTokens: o.usage.outputTokens,
      cachedInputTokens: o.usage.cachedInputTokens, cacheWriteTokens: o.usage.cacheWriteTokens, costUsd,
      latencyMs: round(latencyMs), ttftMs: o.ttftMs === null ? null : round(o.ttftMs),
    };
  }
}

function upstreamHeaders(ctx: CallContext, call: UpstreamCall): Record<string, string> {
  // anthropic-* headers only mean something to an Anthropic upstream, and only when the body was not rewritten.
  return call.translation === 'none' ? ctx.forwardHeaders : {};
}

function isRetryable(err: unknown): boolean {
  return err instanceof GatewayError && (err.code === 'SB_UPSTREAM_UNREACHABLE' || err.code === 'SB_UPSTREAM_TIMEOUT'
    || (err.code === 'SB_UPSTREAM_ERROR' && (err.status === 429 || err.status >= 500)));
}

function isDeadline(ctx: CallContext): boolean {
  const reason = ctx.signal.reason as { name?: string } | undefined;
  return reason?.name === 'TimeoutError';
}

function toGatewayError(err: unknown, ctx: CallContext): GatewayError {
  if (err instanceof GatewayError) return err;
  if (ctx.signal.aborted && isDeadline(ctx)) return new GatewayError('SB_UPSTREAM_TIMEOUT', { message: 'The request deadline passed (server.requestTimeoutMs).' });
  if (ctx.signal.aborted) return new GatewayError('SB_UPSTREAM_UNREACHABLE', { message: 'The caller closed the connection before the provider answered.' });
  return new GatewayError('SB_INTERNAL', { cause: err });
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
