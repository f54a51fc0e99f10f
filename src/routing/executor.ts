import { assertModelAllowed } from '../auth/model-permission.ts';
import { ZERO_USAGE } from '../domain/token-usage.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { abortReason } from '../upstream/classify-upstream-error.ts';
import type { UsageLedger } from '../usage/usage-ledger.ts';
import type { Answer } from './answer.ts';
import type { CallContext } from '../domain/call-context.ts';
import type { ModelCatalogue } from './model-catalogue.ts';
import type { Plan, Target } from '../domain/plan.ts';
import type { AttemptResult, RequestSettler, TargetCaller } from './target-call.ts';

export interface ExecutorDeps {
  readonly catalogue: ModelCatalogue;
  readonly caller: TargetCaller;
  readonly ledger: UsageLedger;
}

/**
 * Runs a Plan: the only retry loop. Tries the plan's targets in order while the last failure is retryable
 * (the error's own flag, set where it was made), nothing has reached the caller and the caller is still
 * there; records what the caller got as the request's usage record.
 */
export class Executor implements RequestSettler {
  readonly #deps: ExecutorDeps;

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  /** The plan for a caller's model, after checking the caller may use it. */
  plan(ctx: CallContext): Plan {
    const plan = this.#deps.catalogue.resolve(ctx.model);
    const first = plan.targets[0];
    assertModelAllowed(ctx.principal, ctx.model, first?.provider, first?.model);
    return plan;
  }

  async execute(ctx: CallContext): Promise<Answer> {
    let plan: Plan;
    try {
      plan = this.plan(ctx);
    } catch (err) {
      throw this.#failed(ctx, null, asGatewayError(err, ctx));
    }
    let error: GatewayError | undefined;
    for (let i = 0; i < plan.targets.length; i++) {
      try {
        return await this.#deps.caller.call(ctx, plan.targets[i] as Target, i + 1, this);
      } catch (err) {
        error = asGatewayError(err, ctx);
        if (!error.retryable || ctx.signal.aborted) break;
      }
    }
    throw this.#failed(ctx, plan.targets.at(-1) ?? null, error ?? new GatewayError('SB_INTERNAL', { message: 'The routing plan had no target.' }));
  }

  /** A successful attempt's answer was delivered: the request's record follows the attempt's. */
  settled(ctx: CallContext, target: Target, result: AttemptResult): void {
    // The request's time to first byte counts from its arrival, not from the attempt's start.
    const ttftMs = result.ttftMs === null ? null : result.ttftMs + (result.startedAt - ctx.startedAt);
    this.#record(ctx, target, result.status, result.outcome, result.errorCode, result, ttftMs);
  }

  #failed(ctx: CallContext, target: Target | null, err: GatewayError): GatewayError {
    this.#record(ctx, target, err.status, err.code === 'SB_CLIENT_DISCONNECTED' ? 'client_aborted' : 'error', err.code, undefined, null);
    return err;
  }

  #record(ctx: CallContext, target: Target | null, status: number, outcome: AttemptResult['outcome'], errorCode: string | null, result: AttemptResult | undefined, ttftMs: number | null): void {
    this.#deps.ledger.record({
      kind: 'request', attempt: 0, requestId: ctx.requestId, keyId: ctx.principal.keyId, endpoint: ctx.endpoint, stream: ctx.stream,
      modelRequested: ctx.model, provider: target?.provider ?? null, modelServed: target?.model ?? null, pricing: target?.pricing,
      startedMs: ctx.startedMs, latencyMs: performance.now() - ctx.startedAt, status, outcome, errorCode, usage: result?.usage ?? ZERO_USAGE, ttftMs,
    });
  }
}

function asGatewayError(err: unknown, ctx: CallContext): GatewayError {
  if (err instanceof GatewayError) return err;
  if (ctx.signal.aborted) return abortReason(ctx.signal);
  return new GatewayError('SB_INTERNAL', { cause: err });
}
