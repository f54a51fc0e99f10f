import { Readable } from 'node:stream';
import { ZERO_USAGE, type TokenUsage } from '../domain/token-usage.ts';
import type { UsageOutcome } from '../domain/usage-record.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { STREAM_ERROR_EVENT } from '../providers/formats/stream-error-event.ts';
import { streamConverterFor } from '../providers/formats/stream-converter.ts';
import { translateResponse } from '../providers/formats/translate-response.ts';
import { buildUpstreamCall, type UpstreamCall } from '../providers/formats/upstream-call.ts';
import { upstreamError } from '../providers/formats/upstream-error.ts';
import { usageFromAnthropic, usageFromOpenAI, usageFromResponses } from '../providers/formats/usage.ts';
import { responseFromChat, responsesErrorEvent } from '../providers/formats/responses-answer.ts';
import type { ProviderAdapter, UpstreamResponse } from '../providers/provider-adapter.ts';
import { classifyUpstreamError } from '../upstream/classify-upstream-error.ts';
import { forwardedHeaders, NO_HEADERS } from '../upstream/forwarded-headers.ts';
import { MAX_UPSTREAM_BODY } from '../upstream/buffered-dispatch.ts';
import type { ByteBudget } from '../upstream/byte-budget.ts';
import { parseUpstreamJson, readBody } from '../upstream/read-body.ts';
import { relayStream } from '../upstream/stream-relay.ts';
import type { UsageLedger } from '../usage/usage-ledger.ts';
import type { Answer } from './answer.ts';
import type { CallContext } from '../domain/call-context.ts';
import type { Target } from '../domain/plan.ts';
import type { HealthRegistry } from '../health/health-registry.ts';
import { attemptVerdict } from './attempt-verdict.ts';
import { withDefaultParameters } from './default-parameters.ts';

/** How one attempt ended, for its usage record and the request's. */
export interface AttemptResult {
  readonly status: number;
  readonly outcome: UsageOutcome;
  readonly errorCode: string | null;
  readonly usage: Readonly<TokenUsage>;
  /** Time to the first byte of the answer, from the attempt's start; null when none arrived. */
  readonly ttftMs: number | null;
  /** performance.now() when the attempt started. */
  readonly startedAt: number;
}

/** Told when a successful attempt's answer has been delivered, so the request's record can be made. */
export interface RequestSettler {
  settled(ctx: CallContext, target: Target, result: AttemptResult): void;
}

export interface TargetCallerDeps {
  readonly providers: ReadonlyMap<string, ProviderAdapter>;
  readonly ledger: UsageLedger;
  readonly defaultMaxTokens: number;
  /**
   * Largest upstream body read whole (JSON answers): one bound for every provider, or one per provider name
   * (providers[].maxResponseBytes; a provider missing from the map gets MAX_UPSTREAM_BODY).
   */
  readonly maxResponseBytes: number | ReadonlyMap<string, number>;
  /** Shared by every upstream body being read whole (server.maxBufferedResponseBytes); none: per-body bounds only. */
  readonly bufferBudget?: ByteBudget;
  /** Largest single event of an upstream stream. */
  readonly maxEventChars: number;
  /** Local token counting for count_tokens on non-Anthropic models (off the event loop when large). */
  readonly countTokens: (body: Readonly<Record<string, unknown>>, signal: AbortSignal) => Promise<number>;
  /** Told how every attempt the executor admitted ended; undefined when health tracking is off. */
  readonly health: HealthRegistry | undefined;
}

/** An upstream error body is read only for its message: a small bound is plenty. */
const MAX_ERROR_BODY = 1024 * 1024;

/**
 * One attempt against one target: builds the upstream request (translated when the dialects differ), sends
 * it, and turns the answer into an Answer in the caller's dialect. Records the attempt's usage; failures are
 * thrown as GatewayErrors whose `retryable` flag tells the executor whether to try the next target.
 */
export class TargetCaller {
  readonly #deps: TargetCallerDeps;

  constructor(deps: TargetCallerDeps) {
    this.#deps = deps;
  }

  /**
   * The executor admitted `target` with the health registry: every way out of here reports the attempt to it
   * once, through its usage record, or as neutral when nothing was sent upstream.
   */
  async call(given: CallContext, target: Target, attempt: number, settler: RequestSettler): Promise<Answer> {
    const ctx = target.defaults === undefined ? given : withDefaultParameters(given, target.defaults);
    const adapter = this.#deps.providers.get(target.provider);
    if (adapter === undefined) {
      this.#notSent(target);
      throw new GatewayError('SB_PROVIDER_NOT_FOUND', { param: 'model', message: `Provider "${target.provider}" is not configured.` });
    }
    if (ctx.endpoint === 'count_tokens' && adapter.format !== 'anthropic') {
      this.#notSent(target);
      return this.#countLocally(ctx, target, attempt, settler);
    }
    let call: UpstreamCall;
    try {
      call = buildUpstreamCall(ctx, target, this.#deps.defaultMaxTokens, adapter.operations);
    } catch (err) {
      this.#notSent(target);
      throw err;
    }
    const started = performance.now();
    const startedMs = Date.now();
    let response: UpstreamResponse;
    try {
      response = await adapter.send({ operation: call.operation, model: target.model, body: call.body, stream: ctx.stream, headers: upstreamHeaders(ctx, call), signal: ctx.signal });
    } catch (err) {
      throw this.#failed(ctx, target, attempt, startedMs, started, 0, classifyUpstreamError(err, target.provider, ctx.signal), null);
    }
    if (response.status >= 400) {
      const ttftMs = performance.now() - started;
      throw this.#failed(ctx, target, attempt, startedMs, started, response.status, await this.#upstreamError(ctx, target, response), ttftMs);
    }
    return ctx.stream && ctx.endpoint !== 'count_tokens' && ctx.endpoint !== 'embeddings'
      ? this.#streamAnswer(ctx, target, call, response, attempt, startedMs, started, settler)
      : this.#jsonAnswer(ctx, target, call, response, attempt, startedMs, started, settler);
  }

  async #jsonAnswer(ctx: CallContext, target: Target, call: UpstreamCall, upstream: UpstreamResponse, attempt: number, startedMs: number, started: number, settler: RequestSettler): Promise<Answer> {
    let bytes: Buffer;
    let body: Record<string, unknown>;
    try {
      bytes = await readBody(upstream.body, target.provider, this.#maxResponseBytes(target.provider), this.#deps.bufferBudget, 'providers[].maxResponseBytes');
      body = parseUpstreamJson(bytes, target.provider);
    } catch (err) {
      throw this.#failed(ctx, target, attempt, startedMs, started, upstream.status, classifyUpstreamError(err, target.provider, ctx.signal), null);
    }
    const ttftMs = performance.now() - started;
    const usage = call.responses === 'native' ? usageFromResponses(body.usage) : target.format === 'openai' ? usageFromOpenAI(body.usage) : usageFromAnthropic(body.usage);
    let answer: string | Buffer;
    let response: Readonly<Record<string, unknown>> | undefined;
    try {
      if (call.responses === 'none') {
        answer = call.translation === 'none' ? bytes : JSON.stringify(translateResponse(call, body, target.model));
      } else if (call.responses === 'native') {
        response = body;
        answer = bytes;
      } else {
        response = responseFromChat(call, body, target.model, ctx.responses);
        // Bytes, not a string: node writes a string body after copying the headers and it into one new string.
        answer = Buffer.from(JSON.stringify(response));
      }
    } catch (err) {
      const e = err instanceof GatewayError ? err : new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message: `Provider "${target.provider}" sent an answer that could not be translated.`, cause: err });
      throw this.#failed(ctx, target, attempt, startedMs, started, upstream.status, e, ttftMs);
    }
    const result: AttemptResult = { status: 200, outcome: 'ok', errorCode: null, usage, ttftMs, startedAt: started };
    // Records are made once the answer is on its way, keeping their cost off the caller's latency.
    const settle = (): void => {
      this.#record(ctx, target, attempt, startedMs, started, result);
      settler.settled(ctx, target, result);
    };
    return { kind: 'json', status: 200, body: answer, headers: forwardedHeaders(upstream.headers), target: target.label, model: target.modelKey, rule: ctx.route?.ruleId ?? null, attempts: attempt, settle, response };
  }

  #streamAnswer(ctx: CallContext, target: Target, call: UpstreamCall, response: UpstreamResponse, attempt: number, startedMs: number, started: number, settler: RequestSettler): Answer {
    return {
      kind: 'stream',
      headers: forwardedHeaders(response.headers), target: target.label, model: target.modelKey, rule: ctx.route?.ruleId ?? null, attempts: attempt,
      pipeTo: async (sink) => {
        const source = Buffer.isBuffer(response.body) ? Readable.from([response.body]) : response.body;
        const converter = streamConverterFor(call, ctx.callerFormat, target.model, ctx.responses);
        const relayed = await relayStream(source, sink, {
          converter, raw: call.responses === 'native' || (call.responses === 'none' && call.translation === 'none' && !call.dropUsageChunk),
          errorEvent: converter.errorEvent ?? (call.responses === 'none' ? STREAM_ERROR_EVENT[ctx.callerFormat] : responsesErrorEvent), upstream: target.provider, signal: ctx.signal, startedAt: started,
          maxEventChars: this.#deps.maxEventChars,
        });
        const result: AttemptResult = { status: 200, outcome: relayed.outcome, errorCode: relayed.errorCode, usage: relayed.usage, ttftMs: relayed.ttftMs, startedAt: started };
        this.#record(ctx, target, attempt, startedMs, started, result);
        settler.settled(ctx, target, result);
        return converter.response;
      },
    };
  }

  async #countLocally(ctx: CallContext, target: Target, attempt: number, settler: RequestSettler): Promise<Answer> {
    const started = performance.now();
    const inputTokens = await this.#deps.countTokens(ctx.body, ctx.signal);
    const result: AttemptResult = { status: 200, outcome: 'ok', errorCode: null, usage: ZERO_USAGE, ttftMs: null, startedAt: started };
    // Nothing was sent upstream, so there is no attempt record; the request's record is made at once.
    settler.settled(ctx, target, result);
    return { kind: 'json', status: 200, body: JSON.stringify({ input_tokens: inputTokens }), headers: NO_HEADERS, target: target.label, model: target.modelKey, rule: ctx.route?.ruleId ?? null, attempts: attempt, settle: noop };
  }

  async #upstreamError(ctx: CallContext, target: Target, response: UpstreamResponse): Promise<GatewayError> {
    let text = '';
    try {
      text = (await readBody(response.body, target.provider, MAX_ERROR_BODY, this.#deps.bufferBudget)).toString('utf8');
    } catch {
      // the status alone still says what happened
    }
    return upstreamError(response.status, text, target.provider, target.format, response.headers);
  }

  /** Nothing went upstream: the admitted attempt says nothing of the endpoint's health, but frees its slot. */
  #notSent(target: Target): void {
    this.#deps.health?.report(target.endpoint, 'neutral', 0);
  }

  #maxResponseBytes(provider: string): number {
    const bound = this.#deps.maxResponseBytes;
    return typeof bound === 'number' ? bound : bound.get(provider) ?? MAX_UPSTREAM_BODY;
  }

  /** Records a failed attempt and returns its error, to be thrown. */
  #failed(ctx: CallContext, target: Target, attempt: number, startedMs: number, started: number, status: number, err: GatewayError, ttftMs: number | null): GatewayError {
    const outcome: UsageOutcome = err.code === 'SB_CLIENT_DISCONNECTED' ? 'client_aborted' : 'error';
    this.#record(ctx, target, attempt, startedMs, started, { status, outcome, errorCode: err.code, usage: ZERO_USAGE, ttftMs, startedAt: started });
    return err;
  }

  #record(ctx: CallContext, target: Target, attempt: number, startedMs: number, started: number, r: AttemptResult): void {
    const latencyMs = performance.now() - started;
    // Time to the first byte is the endpoint's latency for balancing; a whole answer's length depends on the request.
    this.#deps.health?.report(target.endpoint, attemptVerdict(r.status, r.outcome, r.errorCode), r.ttftMs ?? latencyMs);
    this.#deps.ledger.record({
      kind: 'attempt', attempt, requestId: ctx.requestId, keyId: ctx.principal.keyId, endpoint: ctx.endpoint, stream: ctx.stream,
      modelRequested: ctx.model, provider: target.provider, modelServed: target.model, pricing: target.pricing, startedMs,
      latencyMs, status: r.status, outcome: r.outcome, errorCode: r.errorCode, usage: r.usage, ttftMs: r.ttftMs, route: ctx.route,
      retries: attempt - 1, fallbackChain: NO_CHAIN,
    });
  }
}

function upstreamHeaders(ctx: CallContext, call: UpstreamCall): Readonly<Record<string, string>> {
  // anthropic-* headers only mean something to an Anthropic upstream, and only when the body was not rewritten.
  return call.translation === 'none' ? ctx.forwardHeaders : NO_HEADERS;
}

function noop(): void {}

/** An attempt's own target is its provider and model: its record carries no chain. */
const NO_CHAIN: readonly string[] = Object.freeze([]);
