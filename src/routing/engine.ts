import type { StickyKey } from '../config/routing-schemas.ts';
import type { Plan, Target } from '../domain/plan.ts';
import type { Principal } from '../domain/principal.ts';
import type { RequestFacts } from '../domain/request-facts.ts';
import type { RouteTags } from '../domain/route-tags.ts';
import type { EndpointRef, EndpointStatus } from '../health/health-registry.ts';
import { mayUseModel } from '../auth/model-permission.ts';
import type { ModelEntry } from './model-catalogue.ts';
import type { CandidateNote, CandidateSource, Decision, DecisionFailure, DecisionStep, EndpointNote, Explanation, StepNote } from './route-decision.ts';
import type { CompiledOverride, CompiledRule, RoutingTable } from './routing-table.ts';

/** The read-only part of the health registry the engine looks at. */
export interface HealthView {
  status(endpoint: EndpointRef): EndpointStatus;
}

export interface DecisionInput {
  readonly facts: RequestFacts;
  readonly principal: Principal;
  readonly table: RoutingTable;
  /** undefined when health tracking is off: every endpoint counts as available, nothing is measured. */
  readonly health: HealthView | undefined;
  /** Uniform in [0, 1): weighted choices without a sticky key. */
  readonly random: () => number;
  /** Uniform in [0, 1) from a string, the same everywhere: sticky assignment (sticky-hash.ts). */
  readonly hash: (value: string) => number;
  /** Epoch ms: overrides expire against it. */
  readonly now: number;
  readonly explain: boolean;
}

/** Success rates are judged only over this many requests in the breaker's window; fewer say too little. */
const MIN_MEASURED_REQUESTS = 10;

interface Candidate {
  readonly name: string;
  readonly source: CandidateSource;
}

interface Head {
  readonly candidates: readonly Candidate[];
  readonly ruleId: string | null;
  readonly experimentId: string | null;
  readonly variant: string | null;
  readonly overrideId: string | null;
}

interface Requirements {
  readonly maxLatency: number | undefined;
  readonly minSuccessRate: number | undefined;
  readonly maxCostPerToken: number | undefined;
  readonly capabilities: readonly string[];
}

/**
 * The routing decision, a pure function of the request's facts, the caller, one configuration version (the
 * table), the health view, a random source and the time. In order:
 *   1. overrides in force (pin a workspace or key, force a model's traffic elsewhere),
 *   2. otherwise a running experiment whose condition matches assigns a variant (sticky),
 *   3. otherwise the first matching rule by priority picks among its targets (weights, canary split, sticky),
 *   4. otherwise the requested model, or with none the agent's preferred models ranked by measured health;
 * then each chosen model's own fallbacks and the agent's fallback models are added, and every candidate is
 * filtered: unknown, inactive, not allowed to the key, outside the workspace's restrictions or compliance,
 * missing a required capability, every endpoint disabled. Performance requirements (latency, success rate,
 * cost) drop what misses them unless nothing would be left. Endpoints are ordered: a weighted pick among the
 * available primaries, the other primaries by health-weighted latency, then the secondaries.
 */
export function decide(input: DecisionInput): Decision {
  const notes: Notes | undefined = input.explain ? { steps: [], candidates: [] } : undefined;
  const { facts, table } = input;
  const overrides = table.overrides.length === 0 ? NO_OVERRIDES : table.overrides.filter((o) => o.expiresAtMs > input.now);
  const head = chooseHead(input, overrides, notes);
  const tags = tagsOf(facts, head);
  if (head.candidates.length === 0) {
    return failed(facts, tags, head, notes, { code: 'SB_NO_ROUTE', message: 'No model was named and no override, experiment, rule or agent preference chose one. Send "model", or add a rule or agent preferences for this agent type.' });
  }
  const agent = facts.agentType === undefined ? undefined : table.agents.get(facts.agentType);
  const workspace = facts.workspaceId === undefined ? undefined : table.workspaces.get(facts.workspaceId);
  const candidates = withFallbacks(head.candidates, table, agent?.fallbackModels ?? []);
  const requirements: Requirements = {
    maxLatency: minOf(agent?.performanceRequirements?.maxLatency, workspace?.qualityRequirements?.maxLatency),
    minSuccessRate: maxOf(agent?.performanceRequirements?.minSuccessRate, workspace?.qualityRequirements?.minSuccessRate),
    maxCostPerToken: agent?.performanceRequirements?.maxCostPerToken,
    capabilities: agent?.requiredCapabilities ?? [],
  };
  const restricted = workspace?.modelRestrictions === undefined ? undefined : new Set(workspace.modelRestrictions);
  const compliance = workspace?.complianceRequirements ?? NONE;
  const disabledBy: ReadonlyMap<string, CompiledOverride> = overrides.length === 0 ? NO_DISABLED : new Map(overrides.filter((o) => o.kind === 'disable_endpoint').map((o) => [o.endpoint as string, o]));

  const kept: Array<{ entry: ModelEntry; targets: Target[]; deprecated: boolean }> = [];
  const missedPerformance: Array<{ entry: ModelEntry; targets: Target[]; deprecated: boolean }> = [];
  const seen = new Set<string>();
  let firstDrop: { step: DecisionStep; name: string; reason: string } | undefined;
  for (const candidate of candidates) {
    const entry = table.entry(candidate.name);
    const drop = (step: DecisionStep, reason: string, endpoints: readonly EndpointNote[] = []): void => {
      firstDrop ??= { step, name: candidate.name, reason };
      notes?.candidates.push({ model: candidate.name, source: candidate.source, kept: false, step, reason, endpoints });
    };
    if (entry === undefined) {
      drop('resolve', 'no configured provider serves this name');
      continue;
    }
    if (seen.has(entry.key)) continue;
    seen.add(entry.key);
    if (entry.status === 'inactive') {
      drop('status', 'the model is inactive');
      continue;
    }
    const first = entry.primaries[0]?.target ?? entry.secondaries[0];
    if (!mayUseModel(input.principal, candidate.name, first?.provider, first?.model) && !anyAllowed(input.principal, entry)) {
      drop('key', 'this key may not use the model');
      continue;
    }
    if (restricted !== undefined && !intersects(restricted, entry.names, candidate.name)) {
      drop('workspace', `not in workspace ${facts.workspaceId ?? ''}'s modelRestrictions`);
      continue;
    }
    const missingCompliance = compliance.length === 0 ? NONE : compliance.filter((c) => !entry.complianceTags.has(c));
    if (missingCompliance.length > 0) {
      drop('compliance', `lacks the workspace's compliance requirement${missingCompliance.length > 1 ? 's' : ''} ${missingCompliance.join(', ')}`);
      continue;
    }
    const missingCapabilities = requirements.capabilities.length === 0 ? NONE : requirements.capabilities.filter((c) => !entry.capabilities.has(c));
    if (missingCapabilities.length > 0) {
      drop('capabilities', `lacks the agent's required capabilit${missingCapabilities.length > 1 ? 'ies' : 'y'} ${missingCapabilities.join(', ')}`);
      continue;
    }
    const ordered = orderEndpoints(entry, input, requirements, disabledBy, notes !== undefined);
    if (ordered.targets.length === 0 && ordered.missed.length === 0) {
      drop('endpoints', 'every endpoint is disabled by an override', ordered.notes);
      continue;
    }
    const cost = requirements.maxCostPerToken === undefined ? undefined : table.costPerToken(entry);
    const tooCostly = cost !== undefined && requirements.maxCostPerToken !== undefined && cost > requirements.maxCostPerToken;
    const deprecated = entry.status === 'deprecated' || entry.reportedUnhealthy;
    if (tooCostly || ordered.targets.length === 0) {
      const reason = tooCostly ? `costs ${cost} USD per token, above maxCostPerToken ${requirements.maxCostPerToken}` : 'no endpoint meets the performance requirements';
      missedPerformance.push({ entry, targets: tooCostly ? [...ordered.targets, ...ordered.missed] : ordered.missed, deprecated });
      firstDrop ??= { step: 'performance', name: candidate.name, reason };
      notes?.candidates.push({ model: candidate.name, source: candidate.source, kept: false, step: 'performance', reason, endpoints: ordered.notes });
      continue;
    }
    kept.push({ entry, targets: [...ordered.targets, ...ordered.missed], deprecated });
    notes?.candidates.push({ model: candidate.name, source: candidate.source, kept: true, step: 'order', reason: deprecated ? `kept; ${entry.status === 'deprecated' ? 'deprecated' : 'reported unhealthy'}, so after the others` : 'kept', endpoints: ordered.notes });
  }
  let chosen = kept;
  if (chosen.length === 0 && missedPerformance.length > 0) {
    // Serving something slower than asked beats refusing the request outright; the explanation says so.
    chosen = missedPerformance;
    notes?.steps.push({ step: 'performance', result: 'no candidate met the performance requirements: the ones that missed them are used, in order' });
  }
  if (chosen.length === 0) return failed(facts, tags, head, notes, failureOf(firstDrop, facts));
  // Deprecated models keep their relative order, after every active one.
  const final = [...chosen.filter((c) => !c.deprecated), ...chosen.filter((c) => c.deprecated)];
  const targets = final.flatMap((c) => c.targets);
  notes?.steps.push({ step: 'order', result: `${targets.length} target${targets.length === 1 ? '' : 's'} in order: ${targets.map((t) => t.label).join(', ')}` });
  const plan: Plan = { modelRequested: facts.model ?? '', targets, reason: final[0]?.entry.reason ?? 'catalogue' };
  return { plan, model: final[0]?.entry.key ?? null, tags, overrideId: head.overrideId, failure: undefined, explanation: notes };
}

type Notes = { steps: StepNote[]; candidates: CandidateNote[] } & Explanation;

const NO_OVERRIDES: readonly CompiledOverride[] = [];
const NO_DISABLED: ReadonlyMap<string, CompiledOverride> = new Map();
const NONE: readonly string[] = [];
const NO_TARGETS: Target[] = [];
const NO_NOTES: EndpointNote[] = [];

function chooseHead(input: DecisionInput, overrides: readonly CompiledOverride[], notes: Notes | undefined): Head {
  const { facts, table } = input;
  const none = { ruleId: null, experimentId: null, variant: null, overrideId: null };
  const pin = overrides.find((o) => o.kind === 'pin' && (o.match.workspaceId === undefined || o.match.workspaceId === facts.workspaceId)
    && (o.match.keyId === undefined || o.match.keyId === facts.keyId) && (o.match.model === undefined || sameModel(table, o.match.model, facts.model)));
  const force = pin ?? overrides.find((o) => o.kind === 'force_target' && sameModel(table, o.match.model, facts.model));
  if (force !== undefined && force.modelId !== undefined) {
    notes?.steps.push({ step: 'override', result: `override ${force.id} (${force.kind}) sends this request to ${force.modelId} until ${new Date(force.expiresAtMs).toISOString()}: ${force.reason}` });
    return { ...none, candidates: [{ name: force.modelId, source: 'override' }], overrideId: force.id };
  }
  if (notes !== undefined) notes.steps.push({ step: 'override', result: overrides.length === 0 ? 'no override in force' : `${overrides.length} override(s) in force, none choosing the model` });

  const checked: Array<{ id: string; priority?: number; matched: boolean; why?: string }> = [];
  for (const experiment of table.experiments) {
    const miss = experiment.check(facts, table.namesOf, notes !== undefined);
    if (notes !== undefined) checked.push(miss === undefined ? { id: experiment.id, matched: true } : { id: experiment.id, matched: false, why: miss });
    if (miss !== undefined) continue;
    const point = assignmentPoint(input, experiment.id, experiment.stickyKey);
    let edge = 0;
    const variant = experiment.variants.find((v) => (edge += v.allocation) > point * 100) ?? experiment.variants.at(-1);
    if (variant === undefined) continue;
    notes?.steps.push({ step: 'experiment', result: `experiment ${experiment.id} assigned variant ${variant.name} (${variant.modelId}) ${assignmentNote(input, experiment.stickyKey)}`, checked });
    return { ...none, candidates: [{ name: variant.modelId, source: 'experiment' }], experimentId: experiment.id, variant: variant.name };
  }
  if (notes !== undefined) notes.steps.push({ step: 'experiment', result: table.experiments.length === 0 ? 'no experiment running' : 'no running experiment matched', checked: [...checked] });

  checked.length = 0;
  // Explaining looks at every rule, so that it can say why each one missed; deciding only at those that can match.
  for (const rule of notes === undefined ? table.rulesFor(facts.agentType) : table.rules) {
    const miss = rule.check(facts, table.namesOf, notes !== undefined);
    if (notes !== undefined) checked.push(miss === undefined ? { id: rule.id, priority: rule.priority, matched: true } : { id: rule.id, priority: rule.priority, matched: false, why: miss });
    if (miss !== undefined) continue;
    const [candidates, how] = ruleCandidates(input, rule, notes !== undefined);
    notes?.steps.push({ step: 'rule', result: `rule ${rule.id} (priority ${rule.priority}) matched; ${how}`, checked });
    return { ...none, candidates, ruleId: rule.id };
  }
  if (notes !== undefined) notes.steps.push({ step: 'rule', result: table.rules.length === 0 ? 'no rule enabled' : 'no enabled rule matched', checked });

  if (facts.model !== undefined) {
    notes?.steps.push({ step: 'requested', result: `the requested model ${facts.model}` });
    return { ...none, candidates: [{ name: facts.model, source: 'requested' }] };
  }
  const agent = facts.agentType === undefined ? undefined : table.agents.get(facts.agentType);
  if (agent === undefined || agent.preferredModels.length === 0) return { ...none, candidates: [] };
  const ranked = rankPreferred(agent.preferredModels, input);
  notes?.steps.push({ step: 'agent-preference', result: `agent ${facts.agentType ?? ''}'s preferred models, ranked by measured health: ${ranked.join(', ')}` });
  return { ...none, candidates: ranked.map((name) => ({ name, source: 'agent-preferred' as const })) };
}

/**
 * The rule's chosen target first (canary split, then weights; sticky by its key), then the others in fallback
 * order. The lists for each possible first target are made once per rule: a decision only picks one.
 */
function ruleCandidates(input: DecisionInput, rule: CompiledRule, explain: boolean): [readonly Candidate[], string] {
  const point = assignmentPoint(input, rule.id, rule.stickyKey);
  let group = rule.targets;
  let canary = false;
  if (rule.canaryPercent !== undefined) {
    canary = point * 100 < rule.canaryPercent;
    group = groupsOf(rule)[canary ? 1 : 0];
  }
  // A second, independent point for the weighted pick within the group, from the same key.
  const weightPoint = rule.canaryPercent === undefined ? point : assignmentPoint(input, `${rule.id}#w`, rule.stickyKey);
  const chosen = weighted(group, (t) => t.weight, weightPoint) ?? rule.targets[0];
  const index = chosen === undefined ? 0 : rule.targets.indexOf(chosen);
  const candidates = ordersOf(rule)[index] ?? [];
  if (!explain) return [candidates, ''];
  const assigned = assignmentNote(input, rule.stickyKey);
  const split = rule.canaryPercent === undefined ? '' : `${canary ? 'canary' : 'primary'} side of a ${100 - rule.canaryPercent}/${rule.canaryPercent} split ${assigned}; `;
  return [candidates, `${split}${chosen?.modelId ?? ''} by weight${rule.canaryPercent === undefined ? ` ${assigned}` : ''}`];
}

const orders = new WeakMap<CompiledRule, ReadonlyArray<readonly Candidate[]>>();
const groups = new WeakMap<CompiledRule, readonly [CompiledRule['targets'], CompiledRule['targets']]>();

function ordersOf(rule: CompiledRule): ReadonlyArray<readonly Candidate[]> {
  let known = orders.get(rule);
  if (known === undefined) {
    known = rule.targets.map((first) => [first, ...rule.targets.filter((t) => t !== first)].map((t) => ({ name: t.modelId, source: 'rule' as const })));
    orders.set(rule, known);
  }
  return known;
}

/** [primary targets, canary targets]. */
function groupsOf(rule: CompiledRule): readonly [CompiledRule['targets'], CompiledRule['targets']] {
  let known = groups.get(rule);
  if (known === undefined) {
    known = [rule.targets.filter((t) => !t.canary), rule.targets.filter((t) => t.canary)];
    groups.set(rule, known);
  }
  return known;
}

function stickyValue(input: DecisionInput, key: StickyKey): string | undefined {
  const { facts } = input;
  return key === 'user' ? facts.userId : key === 'workspace' ? facts.workspaceId : key === 'session' ? facts.sessionId : undefined;
}

/** A point in [0, 1) for a split: the sticky key's hash, or random when the request has no such key. */
function assignmentPoint(input: DecisionInput, salt: string, key: StickyKey): number {
  const value = stickyValue(input, key);
  return value === undefined ? input.random() : input.hash(`${salt}:${value}`);
}

function assignmentNote(input: DecisionInput, key: StickyKey): string {
  if (stickyValue(input, key) !== undefined) return `(sticky by ${key})`;
  return key === 'request' ? '(per request)' : `(no ${key} given: at random)`;
}

/** The item whose cumulative weight passes `point` × total; undefined when every weight is 0. */
function weighted<T>(items: readonly T[], weightOf: (item: T) => number, point: number): T | undefined {
  let total = 0;
  for (const item of items) total += weightOf(item);
  if (total <= 0) return undefined;
  let edge = point * total;
  for (const item of items) {
    edge -= weightOf(item);
    if (edge < 0) return item;
  }
  return items.findLast((item) => weightOf(item) > 0);
}

/** The candidates, then each one's own fallbacks, then the agent's fallback models; each name once. */
function withFallbacks(head: readonly Candidate[], table: RoutingTable, agentFallbacks: readonly string[]): Candidate[] {
  const out = [...head];
  const names = new Set(head.map((c) => c.name));
  const add = (name: string, source: CandidateSource): void => {
    if (names.has(name)) return;
    names.add(name);
    out.push({ name, source });
  };
  for (const c of head) for (const f of table.entry(c.name)?.fallbacks ?? []) add(f, 'model-fallback');
  for (const f of agentFallbacks) add(f, 'agent-fallback');
  return out;
}

/**
 * A model's endpoints in the order to try them, without the disabled ones; `missed` holds those that miss a
 * performance requirement (used only when no candidate meets them).
 */
function orderEndpoints(entry: ModelEntry, input: DecisionInput, req: Requirements, disabledBy: ReadonlyMap<string, CompiledOverride>, explain: boolean): { targets: Target[]; missed: Target[]; notes: EndpointNote[] } {
  // The common case, one endpoint and nothing to judge it by: no health lookups, no notes.
  const only = entry.primaries.length === 1 && entry.secondaries.length === 0 ? entry.primaries[0]?.target : undefined;
  if (only !== undefined && !explain && req.maxLatency === undefined && req.minSuccessRate === undefined && !disabledBy.has(only.provider)) {
    return { targets: [only], missed: NO_TARGETS, notes: NO_NOTES };
  }
  const notes: EndpointNote[] = [];
  const health = input.health;
  const measure = health !== undefined && (explain || req.maxLatency !== undefined || req.minSuccessRate !== undefined || entry.primaries.length + entry.secondaries.length > 1);
  const statusOf = (t: Target): EndpointStatus | undefined => (measure ? health?.status(t.endpoint) : undefined);
  const judged: Array<{ target: Target; weight: number; type: 'primary' | 'secondary'; status: EndpointStatus | undefined; ok: boolean }> = [];
  const look = (target: Target, weight: number, type: 'primary' | 'secondary'): void => {
    const status = statusOf(target);
    const successRate = status === undefined || status.requests < MIN_MEASURED_REQUESTS ? null : 1 - status.errorRate;
    const note = (kept: boolean, reason: string): void => {
      if (explain) notes.push({ endpoint: target.provider, target: target.label, type, weight, kept, reason, available: status?.available ?? null, latencyMs: status?.latencyMs ?? null, successRate });
    };
    if (disabledBy.has(target.provider)) {
      const o = disabledBy.get(target.provider);
      note(false, `disabled by override ${o?.id ?? ''} until ${o === undefined ? '' : new Date(o.expiresAtMs).toISOString()}: ${o?.reason ?? ''}`);
      return;
    }
    const slow = req.maxLatency !== undefined && status?.latencyMs != null && status.latencyMs > req.maxLatency;
    const failing = req.minSuccessRate !== undefined && successRate !== null && successRate < req.minSuccessRate;
    const ok = !slow && !failing;
    judged.push({ target, weight, type, status, ok });
    note(true, slow ? `latency ${Math.round(status?.latencyMs ?? 0)} ms is above maxLatency ${req.maxLatency}` : failing ? `success rate ${successRate?.toFixed(3)} is below minSuccessRate ${req.minSuccessRate}` : status?.available === false ? 'out of service now (the executor skips it while it is)' : 'ok');
  };
  for (const p of entry.primaries) look(p.target, p.weight, 'primary');
  for (const t of entry.secondaries) look(t, 0, 'secondary');
  const order = (group: typeof judged): Target[] => {
    if (group.length <= 1) return group.map((j) => j.target);
    const primaries = group.filter((j) => j.type === 'primary');
    const available = primaries.filter((j) => j.status?.available !== false);
    const first = weighted(available.length > 0 ? available : primaries, (j) => j.weight, input.random());
    const rest = group.filter((j) => j !== first);
    const score = (j: (typeof judged)[number]): number => (j.status === undefined ? 0 : (j.status.available ? 0 : 1e12) + healthScore(j.status));
    const others = [...rest.filter((j) => j.type === 'primary'), ...rest.filter((j) => j.type === 'secondary')];
    const ranked = measure ? others.map((j, i) => ({ j, i })).sort((a, b) => (a.j.type === b.j.type ? score(a.j) - score(b.j) || a.i - b.i : a.j.type === 'primary' ? -1 : 1)).map((x) => x.j) : others;
    return [...(first === undefined ? [] : [first.target]), ...ranked.map((j) => j.target)];
  };
  return { targets: order(judged.filter((j) => j.ok)), missed: order(judged.filter((j) => !j.ok)), notes };
}

/** Latency over success share, as the resilience issue's health-weighted score; unknown latency scores 0. */
function healthScore(status: EndpointStatus): number {
  return Math.max(1, status.latencyMs ?? 1) / Math.max(0.01, 1 - status.errorRate);
}

/** Preferred models, best measured first (by their first endpoint's health-weighted latency); unmeasured keep their place. */
function rankPreferred(names: readonly string[], input: DecisionInput): string[] {
  const health = input.health;
  if (health === undefined || names.length < 2) return [...names];
  const scored = names.map((name, i) => {
    const target = input.table.entry(name)?.primaries[0]?.target;
    const status = target === undefined ? undefined : health.status(target.endpoint);
    const known = status !== undefined && status.latencyMs !== null;
    return { name, i, score: known ? (status.available ? 0 : 1e12) + healthScore(status) : undefined, down: status?.available === false };
  });
  return scored.sort((a, b) => {
    if (a.down !== b.down) return a.down ? 1 : -1;
    if (a.score === undefined || b.score === undefined) return a.i - b.i;
    return a.score - b.score || a.i - b.i;
  }).map((s) => s.name);
}

function sameModel(table: RoutingTable, wanted: string | undefined, requested: string | undefined): boolean {
  if (wanted === undefined || requested === undefined) return false;
  return wanted === requested || table.namesOf(requested).has(wanted);
}

/** A key's model list may name any of a registered model's names. */
function anyAllowed(principal: Principal, entry: ModelEntry): boolean {
  const allowed = principal.models;
  if (allowed === null) return true;
  for (const name of entry.names) if (allowed.has(name)) return true;
  return false;
}

function intersects(restricted: ReadonlySet<string>, names: ReadonlySet<string>, asked: string): boolean {
  if (restricted.has(asked)) return true;
  for (const name of names) if (restricted.has(name)) return true;
  return false;
}

function tagsOf(facts: RequestFacts, head: Head): RouteTags {
  return {
    workspaceId: facts.workspaceId ?? null, agentType: facts.agentType ?? null, userId: facts.userId ?? null,
    ruleId: head.ruleId, experimentId: head.experimentId, variant: head.variant,
  };
}

function failureOf(drop: { step: DecisionStep; name: string; reason: string } | undefined, facts: RequestFacts): DecisionFailure {
  const name = (drop?.name ?? facts.model ?? '').slice(0, 200);
  switch (drop?.step) {
    case 'key':
      return { code: 'SB_MODEL_NOT_ALLOWED', message: `This key may not use model "${name}".` };
    case 'status':
      return { code: 'SB_MODEL_INACTIVE', message: `Model "${name}" is inactive and takes no traffic. PATCH /api/models/{id}/status makes it active again.` };
    case 'workspace':
    case 'compliance':
    case 'capabilities':
      return { code: 'SB_MODEL_RESTRICTED', message: `Model "${name}" may not serve this request: ${drop.reason}. POST /api/routing/test explains the decision.` };
    case 'endpoints':
      return { code: 'SB_NO_HEALTHY_TARGET', message: `Every endpoint of model "${name}" is disabled by an override.` };
    default:
      return { code: 'SB_MODEL_NOT_FOUND', message: `No configured provider serves model "${name}". GET /v1/models lists the models this key may use; "provider/model" addresses one provider.` };
  }
}

function failed(facts: RequestFacts, tags: RouteTags, head: Head, notes: Notes | undefined, failure: DecisionFailure): Decision {
  notes?.steps.push({ step: 'order', result: `nothing can serve the request: ${failure.code}` });
  return { plan: { modelRequested: facts.model ?? '', targets: [], reason: 'catalogue' }, model: null, tags, overrideId: head.overrideId, failure, explanation: notes };
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

