import type { LimitsConfig, RateLimits } from '../config/limits-schema.ts';
import type { Principal } from '../domain/principal.ts';
import type { AdmitRequest, LimitCheck } from './limiter.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** What the limits of one request are made from: plain data the HTTP layer gathers. */
export interface LimitSubject {
  readonly requestId: string;
  readonly principal: Principal;
  /** The caller's workspace's own limits and tier (workspaces.<id>), when it has any. */
  readonly workspace: { readonly rateLimits?: RateLimits | undefined; readonly tier?: string | undefined } | undefined;
  /** The model named, for limits.perModel; undefined for requests without one. */
  readonly model: string | undefined;
  /** Tokens the request is expected to take (prompt estimate + its output cap); 0 when it takes none. */
  readonly tokens: number;
}

/**
 * The tag all counters of a caller share: its workspace's, else its key's. An anonymous caller is its client
 * address ("ip:<address>", anonymous-limit.ts).
 */
export function limitTag(principal: Pick<Principal, 'kind' | 'keyId' | 'workspaceId'>): string {
  if (principal.kind === 'anonymous') return principal.keyId;
  return principal.workspaceId === null ? `key:${principal.keyId}` : workspaceTag(principal.workspaceId);
}

/** The tag all counters of a workspace share (one Redis Cluster hash slot). */
export function workspaceTag(workspaceId: string): string {
  return `ws:${workspaceId}`;
}

/**
 * Every rate limit one request must pass, named so that each replica counts the same counters: the caller's tier
 * and per-key limits, its workspace's, and its workspace's per-model ones. All share the workspace's tag (or the
 * key's), so one Redis script takes them together (budgets add theirs under the same tag). No checks when
 * limits are off; null when nothing may limit this caller (an operator's key, limits.exemptAdmins).
 *
 * The checks of a caller and model are made once per configuration version (they are plain, frozen data): a
 * request gets the same objects, but for the token checks, which carry its own estimate.
 */
export function requestChecks(limits: LimitsConfig, subject: LimitSubject): AdmitRequest | null {
  const { principal, workspace } = subject;
  if (limits.exemptAdmins && principal.workspaceId === null && principal.role === 'admin') return null;
  let byPrincipal = PLANS.get(limits);
  if (byPrincipal === undefined) {
    byPrincipal = new WeakMap();
    PLANS.set(limits, byPrincipal);
  }
  let byModel = byPrincipal.get(principal);
  if (byModel === undefined) {
    byModel = new Map();
    byPrincipal.set(principal, byModel);
  }
  const model = subject.model ?? '';
  let plan = byModel.get(model);
  if (plan === undefined || plan.workspace !== workspace) {
    plan = planOf(limits, principal, workspace, subject.model);
    // The model is the caller's to name: only so many are remembered per caller.
    if (byModel.size < MAX_MODELS_PER_CALLER) byModel.set(model, plan);
  }
  return { tag: plan.tag, id: subject.requestId, checks: withTokens(plan, subject.tokens) };
}

/** A caller's checks for one model under one configuration version. */
interface Plan {
  readonly workspace: LimitSubject['workspace'];
  readonly tag: string;
  readonly checks: readonly LimitCheck[];
  /** Whether any check counts tokens (its amount is each request's own estimate). */
  readonly countsTokens: boolean;
}

const PLANS = new WeakMap<LimitsConfig, WeakMap<Principal, Map<string, Plan>>>();
const MAX_MODELS_PER_CALLER = 64;

function planOf(limits: LimitsConfig, principal: Principal, workspace: LimitSubject['workspace'], model: string | undefined): Plan {
  const tag = limitTag(principal);
  if (!limits.enabled) return { workspace, tag, checks: [], countsTokens: false };
  const who = principal.keyId;
  const checks: LimitCheck[] = [];
  const add = (prefix: string, l: RateLimits | undefined): void => {
    if (l === undefined) return;
    if (l.requestsPerMinute !== undefined) checks.push({ key: `${prefix}:rpm`, kind: 'window', limit: l.requestsPerMinute, windowMs: MINUTE, amount: 1 });
    if (l.requestsPerHour !== undefined) checks.push({ key: `${prefix}:rph`, kind: 'window', limit: l.requestsPerHour, windowMs: HOUR, amount: 1 });
    if (l.tokensPerMinute !== undefined) checks.push({ key: `${prefix}:tpm`, kind: 'window', limit: l.tokensPerMinute, windowMs: MINUTE, amount: 0, unit: 'tokens' });
    if (l.burst !== undefined) checks.push({ key: `${prefix}:burst`, kind: 'bucket', limit: l.burst.capacity, windowMs: Math.ceil((l.burst.capacity / l.burst.perSecond) * 1000), amount: 1 });
    if (l.concurrentRequests !== undefined) checks.push({ key: `${prefix}:concurrent`, kind: 'concurrency', limit: l.concurrentRequests, windowMs: limits.concurrencyHoldMs, amount: 1 });
  };
  const tier = workspace?.tier ?? principal.tier ?? (principal.kind === 'jwt' ? 'authenticated' : principal.kind === 'anonymous' ? 'anonymous' : 'api_key');
  add(`tier:${who}`, limits.tiers[tier]);
  if (principal.kind !== 'anonymous') add(`key:${who}`, limits.perKey);
  if (principal.workspaceId !== null) add('ws', workspace?.rateLimits);
  if (model !== undefined) add(`model:${model}:${principal.workspaceId === null ? who : 'ws'}`, limits.perModel[model]);
  return { workspace, tag, checks: Object.freeze(checks.map((c) => Object.freeze(c))), countsTokens: checks.some((c) => c.unit === 'tokens') };
}

/** The plan's checks with this request's token estimate; a request that takes no tokens is not token-limited. */
function withTokens(plan: Plan, tokens: number): readonly LimitCheck[] {
  if (!plan.countsTokens) return plan.checks;
  if (tokens <= 0) return plan.checks.filter((c) => c.unit !== 'tokens');
  return plan.checks.map((c) => (c.unit === 'tokens' ? { ...c, amount: tokens } : c));
}

/** The tokens a chat request may take: its prompt (about 4 bytes a token of its JSON) and the output it asks for. */
export function estimateTokens(rawLength: number, body: Readonly<Record<string, unknown>>): number {
  return Math.ceil(rawLength / 4) + (outputCap(body) ?? 0);
}

/** The output cap a body (or a model's default parameters) sets: max_completion_tokens, max_tokens or max_output_tokens. */
export function outputCap(body: Readonly<Record<string, unknown>>): number | undefined {
  const cap = body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens;
  return typeof cap === 'number' && Number.isFinite(cap) && cap > 0 ? Math.floor(cap) : undefined;
}
