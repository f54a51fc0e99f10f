import { setTimeout as sleep } from 'node:timers/promises';
import type { ResilienceConfig } from '../config/resilience-schemas.ts';
import { ZERO_USAGE } from '../domain/token-usage.ts';
import { GatewayError, withHeaders } from '../errors/gateway-error.ts';
import type { HealthRegistry } from '../health/health-registry.ts';
import { abortReason } from '../upstream/classify-upstream-error.ts';
import type { UsageLedger } from '../usage/usage-ledger.ts';
import type { Answer } from './answer.ts';
import { retryDelay } from './backoff.ts';
import type { CallContext } from '../domain/call-context.ts';
import { NO_ROUTE_TAGS, routeTagsOf, type RouteTags } from '../domain/route-tags.ts';
import type { Decision } from './route-decision.ts';
import { noHealthyTarget } from './no-healthy-target.ts';
import type { Target } from '../domain/plan.ts';
import type { RetryBudget } from './retry-budget.ts';
import type { AttemptResult, RequestSettler, TargetCaller } from './target-call.ts';

export interface ExecutorDeps {
  /** The routing decision for a request: this version's engine (routing/engine.ts), bound to its table and health. */
  readonly route: (ctx: CallContext) => Decision;
  readonly caller: TargetCaller;
  readonly ledger: UsageLedger;
  /** Breakers, ejection and probes; undefined when resilience.healthTracking is off (every target is tried). */
  readonly health: HealthRegistry | undefined;
  readonly budget: RetryBudget;
  readonly resilience: ResilienceConfig;
  /** Jitter source; tests pass a fixed one. */
  readonly random?: () => number;
}

/**
 * Runs a Plan: the only retry loop. Each target in order: skipped while health says it is out of service;
 * otherwise tried, and after a retryable failure (the error's own flag, set where it was made) retried with
 * backoff while its retries, its retry budget and the deadline allow, then the next target is tried. A
 * "context length exceeded" skips to the next target with a larger context window. Nothing is retried once
 * a byte reached the caller (a started answer never comes back here as an error) or once the caller left.
 * Every attempt has its own usage record (the caller makes it); the request's record says what the caller got.
 */
export class Executor implements RequestSettler {
  readonly #deps: ExecutorDeps;
  readonly #random: () => number;
  /**
   * The targets tried so far by a request that made more than one attempt (the rare case): the request's record
   * names them. A request answered by its first attempt has no entry; its chain is that one target.
   */
  readonly #chains = new WeakMap<CallContext, string[]>();

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
  }

  async execute(ctx: CallContext): Promise<Answer> {
    let decision: Decision;
    try {
      decision = this.#deps.route(ctx);
    } catch (err) {
      // Refused before any plan (a model the key may not use …): the record still says whose request it was.
      throw this.#failed(ctx, null, asGatewayError(err, ctx), 0, routeTagsOf(ctx.facts));
    }
    const { plan, tags } = decision;
    if (decision.failure !== undefined) {
      throw this.#failed(ctx, null, new GatewayError(decision.failure.code, { param: 'model', message: decision.failure.message }), 0, tags);
    }
    // The attempts' records carry the decision too; most requests have none to carry and keep their context.
    const routed: CallContext = tags === NO_ROUTE_TAGS ? ctx : { ...ctx, route: tags };
    const { health, budget } = this.#deps;
    let error: GatewayError | undefined;
    let last: Target | null = null;
    let attempts = 0;
    /** Set by a "context length exceeded": only targets with a larger window are worth trying. */
    let needsWindow = 0;
    let skipped: Target[] | undefined;
    for (const target of plan.targets) {
      if (needsWindow > 0 && (target.contextWindow ?? 0) <= needsWindow) continue;
      if (health !== undefined && !health.admit(target.endpoint)) {
        (skipped ??= []).push(target);
        continue;
      }
      budget.request(target.endpoint.id);
      for (let retry = 0; ; retry++) {
        // The first attempt's target is noted only once a second attempt follows it.
        if (attempts > 0) this.#tried(routed, last, target);
        last = target;
        try {
          return await this.#deps.caller.call(routed, target, ++attempts, this);
        } catch (err) {
          error = asGatewayError(err, ctx);
        }
        // A Responses request that only an upstream speaking the API can serve (built-in tools …), refused by a
        // target that would translate it: nothing was sent, and a later target may be OpenAI itself. When none
        // is, the refusal is the answer.
        if (!ctx.signal.aborted && error === ctx.responses?.untranslatable) break;
        if (ctx.signal.aborted || (!error.retryable && error.upstream?.contextLengthExceeded !== true)) throw this.#failed(routed, target, error, attempts, tags);
        if (error.upstream?.contextLengthExceeded === true) {
          needsWindow = target.contextWindow ?? Number.MAX_SAFE_INTEGER;
          break;
        }
        if (!(await this.#retrySameTarget(ctx, target, retry, error))) break;
      }
    }
    // Nothing was tried: every target was out of service (or none had a large enough window).
    error ??= noHealthyTarget(skipped ?? [], health);
    throw this.#failed(routed, last ?? plan.targets.at(-1) ?? null, error, attempts, tags);
  }

  /** A successful attempt's answer was delivered: the request's record follows the attempt's. */
  settled(ctx: CallContext, target: Target, result: AttemptResult): void {
    // The request's time to first byte counts from its arrival, not from the attempt's start.
    const ttftMs = result.ttftMs === null ? null : result.ttftMs + (result.startedAt - ctx.startedAt);
    this.#record(ctx, target, result.status, result.outcome, result.errorCode, result, ttftMs, ctx.route ?? NO_ROUTE_TAGS, 1);
  }

  /** A further attempt begins: the chain so far (the first target, when this is the second attempt) gets `next`. */
  #tried(ctx: CallContext, first: Target | null, next: Target): void {
    let chain = this.#chains.get(ctx);
    if (chain === undefined) {
      chain = first === null ? [] : [first.label];
      this.#chains.set(ctx, chain);
    }
    chain.push(next.label);
  }

  /**
   * Whether to send the same target the request again: retries left, a wait that fits the deadline (Retry-After
   * honoured), the target's retry budget, and health still admitting it once the wait is over.
   */
  async #retrySameTarget(ctx: CallContext, target: Target, retry: number, error: GatewayError): Promise<boolean> {
    if (retry >= target.retries) return false;
    const delay = retryDelay(retry, error.retryAfter, ctx.deadlineAt - performance.now(), this.#deps.resilience, this.#random);
    if (delay === undefined || !this.#deps.budget.tryRetry(target.endpoint.id)) return false;
    if (delay >= 1) {
      try {
        await sleep(delay, undefined, { signal: ctx.signal });
      } catch {
        return false;
      }
    }
    return !ctx.signal.aborted && (this.#deps.health === undefined || this.#deps.health.admit(target.endpoint));
  }

  #failed(ctx: CallContext, target: Target | null, err: GatewayError, attempts: number, tags: RouteTags): GatewayError {
    this.#record(ctx, target, err.status, err.code === 'SB_CLIENT_DISCONNECTED' ? 'client_aborted' : 'error', err.code, undefined, null, tags, attempts);
    const headers: Record<string, string> = { 'x-switchboard-attempts': String(attempts) };
    if (target !== null && attempts > 0) {
      headers['x-switchboard-target'] = target.label;
      headers['x-switchboard-model'] = target.modelKey;
    }
    if (tags.ruleId !== null) headers['x-switchboard-rule'] = tags.ruleId;
    return withHeaders(err, headers);
  }

  #record(ctx: CallContext, target: Target | null, status: number, outcome: AttemptResult['outcome'], errorCode: string | null, result: AttemptResult | undefined, ttftMs: number | null, route: RouteTags, attempts: number): void {
    const fallbackChain = attempts === 0 || target === null ? NO_CHAIN : this.#chains.get(ctx) ?? [target.label];
    this.#deps.ledger.record({
      kind: 'request', attempt: 0, requestId: ctx.requestId, keyId: ctx.principal.keyId, endpoint: ctx.endpoint, stream: ctx.stream,
      modelRequested: ctx.model, provider: target?.provider ?? null, modelServed: target?.model ?? null, pricing: target?.pricing,
      startedMs: ctx.startedMs, latencyMs: performance.now() - ctx.startedAt, status, outcome, errorCode, usage: result?.usage ?? ZERO_USAGE, ttftMs, route,
      retries: Math.max(0, fallbackChain.length - 1), fallbackChain,
    });
  }
}

const NO_CHAIN: readonly string[] = Object.freeze([]);

function asGatewayError(err: unknown, ctx: CallContext): GatewayError {
  if (err instanceof GatewayError) return err;
  if (ctx.signal.aborted) return abortReason(ctx.signal);
  return new GatewayError('SB_INTERNAL', { cause: err });
}
