/**
 * Settings of the routing feature (seed 002, the Model Router Service): the model registry's fields, routing
 * rules, A/B experiments, operators' overrides (seed 004), agent preferences and workspace configuration. Every
 * body the seed writes validates here as it is written; our additions are optional fields beside the seed's.
 */
import { z } from 'zod';
import { embeddedModeSchema } from './resilience-schemas.ts';
import { secretRefSchema } from './secret-ref.ts';
import { KEY_ROLES } from '../domain/api-key-record.ts';
import { rateLimitsSchema } from './limits-schema.ts';

/** Ids the admin API puts in paths: letters, digits, ".", "_", ":" and "-". */
export const resourceId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/, 'letters, digits, ".", "_", ":" or "-", at most 200');
const modelRef = z.string().min(1).max(400);
const usd = z.number().min(0);
const isoTime = z.iso.datetime({ offset: true });
const label = z.string().min(1).max(200);
const httpUrl = z.url({ protocol: /^https?$/, error: 'an absolute http:// or https:// URL' });

/**
 * The id an entry gets when it has none: its name in lower case, runs of other characters made "-". Stable
 * across edits of other entries, unlike a list index.
 */
export function slugOf(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9._:-]+/g, '-').replace(/^[^a-z0-9]+|-+$/g, '').slice(0, 200);
  return slug === '' ? 'unnamed' : slug;
}

/** A list of entries with ids: given ones kept, missing ones made from `fallback`. */
/** The id an override gets when none is given: its kind and its place ("force-target-2"). */
export function defaultOverrideId(kind: string, index: number): string {
  return `${kind.replace('_', '-')}-${index + 1}`;
}

export function withIds<T extends { readonly id?: string | undefined }>(fallback: (entry: T, index: number) => string) {
  return (list: T[]): Array<T & { id: string }> => list.map((entry, i) => ({ ...entry, id: entry.id ?? fallback(entry, i) }));
}

/** How a model is reached, per endpoint (seed 003's modes). */
export const ENDPOINT_MODES = ['direct', 'proxy', 'embedded'] as const;

/**
 * One place a registered model is served (seed 002's endpoint body). `url` is a base URL or, as the seed writes
 * it, the full operation URL (https://api.openai.com/v1/chat/completions): the operation's path is cut off.
 */
export const modelEndpointSchema = z.object({
  /** Unique within the model; default e1, e2 … in list order. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "_" or "-"').optional(),
  url: httpUrl,
  /** Primary endpoints share the traffic by weight; secondary ones are tried when no primary can answer. */
  type: z.enum(['primary', 'secondary']).default('primary'),
  weight: z.number().positive().max(1_000_000).default(1),
  /** Probed like providers[].healthCheck.url, with the resilience defaults. */
  healthCheckUrl: httpUrl.optional(),
  /** The endpoint's credential, by reference (env:NAME or file:/path); default: its provider's. */
  credentials: secretRefSchema.optional(),
  region: z.string().min(1).max(100).optional(),
  /** direct: the provider's API at url; proxy: an upstream gateway at url; embedded: a sidecar (see `embedded`). */
  mode: z.enum(ENDPOINT_MODES).default('direct'),
  embedded: embeddedModeSchema.optional(),
  /** Milliseconds to wait for response headers; default: its provider's. */
  timeoutMs: z.number().int().positive().optional(),
}).strict().superRefine((e, ctx) => {
  if (e.mode === 'embedded' && e.embedded === undefined) ctx.addIssue({ code: 'custom', path: ['embedded'], message: 'mode "embedded" needs embedded.command or embedded.image' });
  if (e.mode !== 'embedded' && e.embedded !== undefined) ctx.addIssue({ code: 'custom', path: ['embedded'], message: 'embedded settings need mode "embedded"' });
});

/** Seed 002's capability entry, with the context window, modalities and tool use beside its type and maxTokens. */
export const capabilitySchema = z.object({
  /** text-generation, chat, embeddings, vision, tools, code … (free text; agent preferences require by this). */
  type: z.string().min(1).max(100),
  maxTokens: z.number().int().positive().optional(),
  contextWindow: z.number().int().positive().optional(),
  modalities: z.array(z.string().min(1).max(50)).optional(),
  tools: z.boolean().optional(),
}).strict();

export const MODEL_TYPES = ['chat', 'completion', 'embedding', 'image', 'audio', 'moderation', 'rerank'] as const;
export const MODEL_STATUSES = ['active', 'inactive', 'deprecated'] as const;

/** The registry's fields of a models entry (spread into modelSchema beside name, provider, pricing …). */
export const registryModelFields = {
  /** Stable id (paths, rules, overrides); default: the name made lower-case with "-" for spaces. */
  id: resourceId.optional(),
  /** Seed 002's upstream model id; the same as `model` (set one of them). */
  version: z.string().min(1).max(400).optional(),
  modelType: z.enum(MODEL_TYPES).default('chat'),
  capabilities: z.array(capabilitySchema).default([]),
  /** Default request parameters (temperature, maxTokens …): used where the caller sets none. */
  parameters: z.record(z.string().min(1).max(100), z.union([z.number(), z.string().max(1000), z.boolean()])).default({}),
  /** inactive: never receives traffic; deprecated: served, but after active models. */
  status: z.enum(MODEL_STATUSES).default('active'),
  tags: z.array(z.string().min(1).max(100)).default([]),
  /** What the model complies with (gdpr, hipaa …); a workspace's complianceRequirements must all be here. */
  complianceTags: z.array(z.string().min(1).max(100)).default([]),
  /** Where the model is served; none: through its provider entry. */
  endpoints: z.array(modelEndpointSchema).max(100).default([]),
  description: z.string().max(2000).optional(),
  /** The last health a monitor posted (POST /api/models/{id}/health); unhealthy: served after every other model. */
  reportedHealth: z.object({
    status: z.enum(['healthy', 'degraded', 'unhealthy']),
    responseTime: z.number().min(0).optional(),
    errorRate: z.number().min(0).max(1).optional(),
    availability: z.number().min(0).max(100).optional(),
    reportedAt: isoTime.optional(),
  }).strict().optional(),
  createdAt: isoTime.optional(),
  updatedAt: isoTime.optional(),
};

/** Keys whose value routes a request to the same variant every time. */
export const STICKY_KEYS = ['user', 'workspace', 'session', 'request'] as const;

const stringOrList = z.union([z.string().min(1).max(500), z.array(z.string().min(1).max(500)).min(1)]);

/** Seed 002's rule condition: every listed field must match; an absent one matches anything. */
export const ruleConditionSchema = z.object({
  agentType: z.array(z.string().min(1)).min(1).optional(),
  requestType: z.array(z.string().min(1)).min(1).optional(),
  /** Characters of the prompt (every message's text). */
  contentLength: z.object({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }).strict()
    .refine((c) => c.min === undefined || c.max === undefined || c.min <= c.max, { message: 'min is larger than max', path: ['min'] }).optional(),
  /** The model the caller asked for (any of its names). */
  model: z.array(modelRef).min(1).optional(),
  workspaceId: z.array(z.string().min(1)).min(1).optional(),
  keyId: z.array(z.string().min(1)).min(1).optional(),
  userId: z.array(z.string().min(1)).min(1).optional(),
  /** Request metadata values (x-switchboard-metadata-<name> headers, or the body's metadata): one value or any of a list. */
  metadata: z.record(z.string().min(1).max(100), stringOrList).optional(),
  /** Request header values, lower-case names: one value or any of a list. */
  headers: z.record(z.string().regex(/^[a-z0-9-]{1,100}$/, 'a lower-case header name'), stringOrList).optional(),
}).strict();

const targetModelSchema = z.object({
  modelId: modelRef,
  weight: z.number().min(0).max(1_000_000).default(1),
  /** Order in which the rule's targets are tried after the chosen one (lowest first). */
  fallbackOrder: z.number().int().min(0).optional(),
  /** With trafficSplit: whether this target takes the canary share; default: every target after the first by fallbackOrder. */
  canary: z.boolean().optional(),
}).strict();

const percent = z.number().min(0).max(100);

export const routingRuleSchema = z.object({
  id: resourceId.optional(),
  name: label,
  description: z.string().max(2000).optional(),
  condition: ruleConditionSchema.default({}),
  targetModels: z.array(targetModelSchema).min(1, 'at least one target model'),
  /** Percentages of the rule's traffic for its primary and canary targets; they add up to 100. */
  trafficSplit: z.object({ primary: percent, canary: percent }).strict()
    .refine((s) => Math.abs(s.primary + s.canary - 100) < 1e-9, { message: 'primary and canary must add up to 100', path: ['primary'] }).optional(),
  /** What keeps a caller on the same target: the same user, workspace, session or (no stickiness) request. */
  stickyKey: z.enum(STICKY_KEYS).default('user'),
  /** Higher first; among equal priorities the earlier rule wins. */
  priority: z.number().int().min(0, 'priority is 0 or more').max(1_000_000).default(0),
  enabled: z.boolean().default(true),
  createdAt: isoTime.optional(),
  updatedAt: isoTime.optional(),
}).strict().superRefine((rule, ctx) => {
  if (!rule.targetModels.some((t) => t.weight > 0)) ctx.addIssue({ code: 'custom', path: ['targetModels', 0, 'weight'], message: 'at least one target needs a weight above 0' });
  if (rule.trafficSplit === undefined) return;
  if (rule.targetModels.length < 2) ctx.addIssue({ code: 'custom', path: ['trafficSplit'], message: 'a traffic split needs a primary and at least one canary target' });
  const canaries = rule.targetModels.filter((t) => t.canary === true).length;
  if (rule.targetModels.some((t) => t.canary !== undefined) && (canaries === 0 || canaries === rule.targetModels.length)) {
    ctx.addIssue({ code: 'custom', path: ['targetModels'], message: 'a traffic split needs at least one primary and one canary target' });
  }
});

export const EXPERIMENT_STATUSES = ['draft', 'running', 'stopped', 'completed'] as const;
export const EXPERIMENT_METRICS = ['success_rate', 'latency', 'cost', 'tokens', 'feedback'] as const;

export const experimentSchema = z.object({
  id: resourceId.optional(),
  name: label,
  description: z.string().max(2000).optional(),
  /** draft → running (start) → stopped (stop) → completed (promote); only running experiments assign traffic. */
  status: z.enum(EXPERIMENT_STATUSES).default('draft'),
  /** Which requests take part: the same condition as a rule's. */
  condition: ruleConditionSchema.default({}),
  variants: z.array(z.object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-"'),
    modelId: modelRef,
    /** Percent of the experiment's traffic; all variants add up to 100. */
    allocation: percent,
  }).strict()).min(2, 'at least two variants'),
  stickyKey: z.enum(STICKY_KEYS).default('user'),
  /** The metric the verdict is about. */
  primaryMetric: z.enum(EXPERIMENT_METRICS).default('success_rate'),
  /** Smallest difference worth detecting, for the minimum sample size: a rate (0.05) or the metric's unit. */
  minimumEffect: z.number().positive().default(0.05),
  /** Confidence level of the tests (0.95 → p < 0.05). */
  confidence: z.number().gt(0.5).lt(1).default(0.95),
  startedAt: isoTime.optional(),
  stoppedAt: isoTime.optional(),
  /** Set by promote: the winning variant, made the rule or the model of every request the experiment matched. */
  winner: z.string().min(1).optional(),
  createdAt: isoTime.optional(),
}).strict().superRefine((e, ctx) => {
  const total = e.variants.reduce((sum, v) => sum + v.allocation, 0);
  if (Math.abs(total - 100) > 1e-6) ctx.addIssue({ code: 'custom', path: ['variants'], message: `allocations add up to ${total}, not 100` });
  const names = new Set<string>();
  e.variants.forEach((v, i) => {
    if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `duplicate variant "${v.name}"` });
    names.add(v.name);
  });
  if (e.winner !== undefined && !names.has(e.winner)) ctx.addIssue({ code: 'custom', path: ['winner'], message: `no variant "${e.winner}"` });
});

export const OVERRIDE_KINDS = ['force_target', 'pin', 'disable_endpoint'] as const;

/**
 * An operator's override (seed 004), in force until it expires: force_target sends a model's traffic to another
 * model; pin sends a workspace's or key's traffic to one model; disable_endpoint takes an endpoint out of routing.
 */
export const overrideSchema = z.object({
  id: resourceId.optional(),
  kind: z.enum(OVERRIDE_KINDS),
  /** force_target: the model it applies to; pin: the workspace or key (and optionally the model). */
  match: z.object({ model: modelRef.optional(), workspaceId: z.string().min(1).optional(), keyId: z.string().min(1).optional() }).strict().default({}),
  /** force_target and pin: where the traffic goes. */
  modelId: modelRef.optional(),
  /** disable_endpoint: a provider name, or "<model id>@<endpoint id>" for a registry endpoint. */
  endpoint: z.string().min(1).max(300).optional(),
  reason: z.string().min(1, 'say why').max(500),
  createdBy: z.string().max(200).optional(),
  createdAt: isoTime.optional(),
  expiresAt: isoTime,
}).strict().superRefine((o, ctx) => {
  if (o.kind === 'disable_endpoint') {
    if (o.endpoint === undefined) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'disable_endpoint names the endpoint' });
    return;
  }
  if (o.modelId === undefined) ctx.addIssue({ code: 'custom', path: ['modelId'], message: `${o.kind} names the model traffic goes to` });
  if (o.kind === 'force_target' && o.match.model === undefined) ctx.addIssue({ code: 'custom', path: ['match', 'model'], message: 'force_target names the model it replaces' });
  if (o.kind === 'pin' && o.match.workspaceId === undefined && o.match.keyId === undefined) ctx.addIssue({ code: 'custom', path: ['match'], message: 'pin names a workspaceId or a keyId' });
});

export const agentPreferenceSchema = z.object({
  preferredModels: z.array(modelRef).default([]),
  fallbackModels: z.array(modelRef).default([]),
  requiredCapabilities: z.array(z.string().min(1)).default([]),
  performanceRequirements: z.object({
    /** Milliseconds, against each endpoint's measured latency. */
    maxLatency: z.number().positive().optional(),
    /** 0..1, against each endpoint's measured success rate. */
    minSuccessRate: z.number().min(0).max(1).optional(),
    /** USD per token, against the larger of the model's input and output price. */
    maxCostPerToken: usd.optional(),
  }).strict().optional(),
  updatedAt: isoTime.optional(),
}).strict();

/** Seed 002's workspace config, plus the limits the tenancy feature enforces. */
/** A workspace id as paths, keys and headers name it. */
export const workspaceIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" or "-", at most 128');

export const workspaceSchema = z.object({
  name: z.string().min(1).max(200).optional(),
  modelRestrictions: z.array(modelRef).optional(),
  budgetLimits: z.object({
    daily: usd.optional(), weekly: usd.optional(), monthly: usd.optional(), total: usd.optional(),
    /** hard (default): a request that could go past a limit is refused; soft: spend is counted and alerts fire. */
    enforcement: z.enum(['hard', 'soft']).optional(),
  }).strict().optional(),
  /** The workspace's own limits, counted over all of its keys (docs/configuration.md#rate-limits). */
  rateLimits: rateLimitsSchema.optional(),
  tier: z.string().min(1).max(100).optional(),
  qualityRequirements: z.object({ minSuccessRate: z.number().min(0).max(1).optional(), maxLatency: z.number().positive().optional() }).strict().optional(),
  complianceRequirements: z.array(z.string().min(1)).optional(),
  /** People of the workspace (seed 002's members); their keys and tokens carry the workspace. */
  members: z.array(z.object({
    userId: z.string().min(1).max(200),
    email: z.string().email().max(320).optional(),
    role: z.enum(KEY_ROLES).default('member'),
    addedAt: isoTime.optional(),
  }).strict()).max(10_000).optional(),
  createdAt: isoTime.optional(),
  updatedAt: isoTime.optional(),
}).strict();

export type ModelEndpointConfig = z.infer<typeof modelEndpointSchema>;
export type RoutingRuleConfig = z.infer<typeof routingRuleSchema>;
export type RuleCondition = z.infer<typeof ruleConditionSchema>;
export type ExperimentConfig = z.infer<typeof experimentSchema>;
export type OverrideConfig = z.infer<typeof overrideSchema>;
export type AgentPreferenceConfig = z.infer<typeof agentPreferenceSchema>;
export type WorkspaceConfig = z.infer<typeof workspaceSchema>;
export type StickyKey = typeof STICKY_KEYS[number];
