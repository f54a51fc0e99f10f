import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BudgetAlerts } from '../budgets/budget-alerts.ts';
import { budgetChecks, budgetOfKey, hasBudget, worstCaseMicroUsd, type BudgetLimits } from '../budgets/budget-checks.ts';
import type { Pricing } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Admissions } from '../limits/admissions.ts';
import type { Admission, CheckState, LimitCheck } from '../limits/limiter.ts';
import { estimateTokens, outputCap, requestChecks } from '../limits/request-checks.ts';
import type { RoutingState } from '../routing/live-routing.ts';

export interface AdmissionHookDeps {
  readonly admissions: Admissions;
  readonly alerts: BudgetAlerts;
  /** The current configuration version's routing objects (limits, workspaces, the catalogue and prices). */
  readonly routing: () => RoutingState;
  /** The usage pipeline: refusing while its journal is full under the "refuse" policy. */
  readonly usage: { readonly refusing: boolean };
}

/** How long a caller refused for a full usage journal is asked to wait: sinks catch up in seconds to minutes. */
const JOURNAL_FULL_RETRY_AFTER_S = 30;

/** Tokens a chat format adds around each message (role markers) and once around the whole prompt. */
const PER_MESSAGE_TOKENS = 4;
const PER_PROMPT_TOKENS = 3;

/**
 * The AI area's preHandler: after the key and the body are checked, every limit of the request and its budget
 * reservation are taken in one decision (limits/admissions.ts). Answers carry seed 001's X-RateLimit-* headers for
 * the tightest request limit and OpenAI's x-ratelimit-* for requests and tokens, and with a shared store
 * `Server-Timing: limits;dur=` the decision's milliseconds; a refusal is 429 SB_RATE_LIMITED with Retry-After, or
 * 402 SB_BUDGET_EXCEEDED.
 */
export function admissionHook(deps: AdmissionHookDeps) {
  // Callback style: with this replica's own limiter the decision is synchronous and costs no promise.
  return function admit(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    // Before anything is counted: a request whose record could not be kept is not served.
    if (deps.usage.refusing) return done(new GatewayError('SB_USAGE_JOURNAL_FULL', { retryAfter: JOURNAL_FULL_RETRY_AFTER_S }));
    const principal = request.principal;
    if (principal === undefined) return done();
    const state = deps.routing();
    const { config } = state;
    const body = (request.body ?? undefined) as Readonly<Record<string, unknown>> | undefined;
    const model = typeof body?.model === 'string' ? body.model : undefined;
    const workspace = principal.workspaceId === null ? undefined : config.workspaces[principal.workspaceId];
    const admitRequest = requestChecks(config.limits, {
      requestId: request.id, principal, model, workspace,
      tokens: body === undefined || request.rawBody === undefined ? 0 : estimateTokens(request.rawBody.length, body),
    });
    if (admitRequest === null) return done();
    const budget = workspace?.budgetLimits;
    let checks = admitRequest.checks;
    const keyBudget = principal.budgetLimits;
    const workspaceBudgeted = hasBudget(budget);
    if ((workspaceBudgeted || hasBudget(keyBudget)) && body !== undefined && model !== undefined) {
      const reserve = reservation(state, body, request.rawBody?.length ?? 0, model);
      const now = Date.now();
      checks = [...checks, ...budgetChecks(budget, reserve, now, config.limits.budgetTimeZone),
        ...budgetChecks(keyBudget, reserve, now, config.limits.budgetTimeZone, { kind: 'key', keyId: principal.keyId })];
    }
    if (checks.length === 0) return done();
    const full = checks === admitRequest.checks ? admitRequest : { ...admitRequest, checks };
    const decided = (admission: Admission): Error | undefined => {
      setRateLimitHeaders(reply, admission.states, Date.now());
      if (!admission.ok) return refusal(admission, budget, keyBudget);
      if (workspaceBudgeted && principal.workspaceId !== null) {
        const workspaceId = principal.workspaceId;
        // Off the request's path: a crossing costs one more store call, which the answer need not wait for.
        const crossed = deps.alerts.crossings(workspaceId, budget, checks, admission.states, config.limits.budgetAlerts);
        if (crossed.length > 0) void deps.alerts.raise(workspaceId, crossed, config.limits.budgetAlerts, (key, resetAt) => deps.admissions.claimOnce(admitRequest.tag, key, resetAt, config.limits));
      }
      return undefined;
    };
    const local = deps.admissions.admitLocally(full);
    if (local !== undefined) return done(decided(local));
    const started = performance.now();
    deps.admissions.admit(full, config.limits).then((admission) => {
      // How long the shared store's decision took, for operators (and the proof that a dead Redis costs at most
      // storeTimeoutMs).
      reply.header('server-timing', `limits;dur=${(performance.now() - started).toFixed(1)}`);
      done(decided(admission));
    }, done);
  };
}

/** The answer to a refused admission: 402 for a budget, 429 for a rate limit. */
function refusal(admission: Extract<Admission, { ok: false }>, budget: BudgetLimits | null | undefined, keyBudget: BudgetLimits | null | undefined): GatewayError {
  const { refusedBy } = admission;
  const refusedBudget = budgetOfKey(refusedBy.key);
  if (refusedBudget === undefined) return rateLimited(refusedBy, admission.retryAfterMs);
  const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
  const { owner, period } = refusedBudget;
  const usd = (owner.kind === 'workspace' ? budget : keyBudget)?.[period] ?? 0;
  // A lifetime total never starts again: no Retry-After, and the message says what will help.
  const again = period === 'total' ? 'it does not start again; only a higher limit helps' : `it starts again at ${new Date(refusedBy.resetAt ?? 0).toISOString()}`;
  return new GatewayError('SB_BUDGET_EXCEEDED', {
    ...(period === 'total' ? {} : { retryAfter: seconds }),
    message: `The ${owner.kind === 'workspace' ? 'workspace' : 'key'}'s ${period} budget of $${usd} cannot cover this request (its worst case is $${(refusedBy.amount / 1e6).toFixed(4)}); ${again}.`,
  });
}

/** 429 SB_RATE_LIMITED for a refusal by `refusedBy`, with Retry-After. */
export function rateLimited(refusedBy: LimitCheck, retryAfterMs: number): GatewayError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GatewayError('SB_RATE_LIMITED', {
    retryAfter: seconds,
    message: `Rate limit reached: ${describe(refusedBy.key)} allows ${refusedBy.limit}${per(refusedBy)}. Retry after ${seconds} s.`,
  });
}

/**
 * The most the request can cost (micro-dollars): its input, and the output it asks for — or, when it sets no cap,
 * the model's default parameters' or routing.defaultMaxTokens — at the dearest price of the targets its model may
 * be sent to. 0 for a model nothing serves (the executor refuses it) or that has no price.
 *
 * The input is bounded by the body's bytes: byte-level tokenizers never make a token of less than one byte, and
 * the JSON holds every byte of the text (escapes only add). That is a true upper bound for text — counting the
 * tokens instead cost more than the rest of the request (bench) and could still count fewer than the provider —
 * at the price of reserving more than will be billed, which only matters for the last requests before a limit.
 */
function reservation(state: RoutingState, body: Readonly<Record<string, unknown>>, bodyBytes: number, model: string): number {
  let targets;
  try {
    targets = state.catalogue.resolve(model).targets;
  } catch {
    return 0;
  }
  const prices = targets.map((t) => t.pricing ?? state.prices.find(t.model)).filter((p): p is Pricing => p !== undefined);
  if (prices.length === 0) return 0;
  const messages = Array.isArray(body.messages) ? body.messages.length : 1;
  const input = bodyBytes + messages * PER_MESSAGE_TOKENS + PER_PROMPT_TOKENS;
  const output = body.input !== undefined && body.messages === undefined ? 0
    : outputCap(body) ?? targets.map((t) => outputCap(t.defaults ?? {})).find((c) => c !== undefined) ?? state.config.routing.defaultMaxTokens;
  return worstCaseMicroUsd(prices, input, output);
}

function per(check: LimitCheck): string {
  if (check.kind === 'concurrency') return ' at once';
  if (check.kind === 'bucket') return ` at once, refilled over ${Math.round(check.windowMs / 1000)} s`;
  return ` per ${check.windowMs >= 3_600_000 ? 'hour' : 'minute'}`;
}

function describe(key: string): string {
  const [scope, , what] = key.split(':');
  const unit = key.endsWith(':tpm') ? 'tokens' : key.endsWith(':concurrent') ? 'concurrent requests' : key.endsWith(':burst') ? 'burst of requests' : 'requests';
  const owner = scope === 'ws' ? 'the workspace' : scope === 'tier' ? (key.startsWith('tier:ip:') ? 'the anonymous tier (this client address)' : 'the tier') : scope === 'model' ? `model ${what ?? ''}` : 'the key';
  return `${owner} (${unit})`;
}

/** Seed 001's X-RateLimit-* for the request limit with the least left, OpenAI's x-ratelimit-* for requests and tokens. */
export function setRateLimitHeaders(reply: FastifyReply, states: readonly CheckState[], now: number): void {
  let requests: CheckState | undefined;
  let tokens: CheckState | undefined;
  for (const s of states) {
    if (s.key.endsWith(':tpm')) {
      if (tokens === undefined || s.remaining < tokens.remaining) tokens = s;
    } else if (s.key.endsWith(':rpm') || s.key.endsWith(':rph')) {
      if (requests === undefined || s.remaining < requests.remaining) requests = s;
    }
  }
  if (requests !== undefined) {
    reply.header('x-ratelimit-limit', requests.limit).header('x-ratelimit-remaining', requests.remaining).header('x-ratelimit-reset', Math.ceil(requests.resetAt / 1000));
    reply.header('x-ratelimit-limit-requests', requests.limit).header('x-ratelimit-remaining-requests', requests.remaining).header('x-ratelimit-reset-requests', duration(requests.resetAt - now));
  }
  if (tokens !== undefined) {
    reply.header('x-ratelimit-limit-tokens', tokens.limit).header('x-ratelimit-remaining-tokens', tokens.remaining).header('x-ratelimit-reset-tokens', duration(tokens.resetAt - now));
  }
}

/** OpenAI's reset format: "1s", "6m0s", "20ms". */
function duration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}
