/**
 * The sections of the shared configuration that the routing, tenancy, service and voice features fill. Each is
 * validated here, by the same schema whether it comes from a file, the admin API, an import or etcd; the
 * features that use a section extend its schema rather than keeping settings of their own.
 */
import { z } from 'zod';

const id = z.string().min(1).max(200);
const modelRef = z.string().min(1).max(400);
const usd = z.number().min(0);

/** Seed 002's rule condition: every listed field must match; an absent one matches anything. */
const ruleCondition = z.object({
  agentType: z.array(z.string().min(1)).optional(),
  requestType: z.array(z.string().min(1)).optional(),
  workspaceId: z.array(z.string().min(1)).optional(),
  model: z.array(modelRef).optional(),
  contentLength: z.object({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }).strict().optional(),
}).strict();

export const routingRuleSchema = z.object({
  id: id.optional(),
  name: z.string().min(1).max(200),
  condition: ruleCondition.default({}),
  targetModels: z.array(z.object({
    modelId: modelRef,
    weight: z.number().min(0).default(1),
    fallbackOrder: z.number().int().min(0).optional(),
  }).strict()).min(1),
  /** Percentages of the rule's traffic for its primary and canary targets. */
  trafficSplit: z.object({ primary: z.number().min(0).max(100), canary: z.number().min(0).max(100) }).strict().optional(),
  priority: z.number().int().default(0),
  enabled: z.boolean().default(true),
}).strict();

export const experimentSchema = z.object({
  id,
  name: z.string().min(1).max(200),
  status: z.enum(['draft', 'running', 'paused', 'completed']).default('draft'),
  condition: ruleCondition.default({}),
  variants: z.array(z.object({ name: z.string().min(1), modelId: modelRef, weight: z.number().min(0).default(1) }).strict()).min(2),
}).strict();

/** An operator's override (seed 004): traffic that matches goes to `modelId` until it expires. */
export const overrideSchema = z.object({
  id: id.optional(),
  match: z.object({ model: modelRef.optional(), workspaceId: z.string().min(1).optional(), agentType: z.string().min(1).optional() }).strict(),
  modelId: modelRef,
  reason: z.string().max(500).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
}).strict();

export const agentPreferenceSchema = z.object({
  preferredModels: z.array(modelRef).default([]),
  fallbackModels: z.array(modelRef).default([]),
  requiredCapabilities: z.array(z.string().min(1)).default([]),
  performanceRequirements: z.object({
    maxLatency: z.number().positive().optional(),
    minSuccessRate: z.number().min(0).max(1).optional(),
    maxCostPerToken: usd.optional(),
  }).strict().optional(),
}).strict();

/** Seed 002's workspace config, plus the limits the tenancy feature enforces. */
export const workspaceSchema = z.object({
  name: z.string().min(1).max(200).optional(),
  modelRestrictions: z.array(modelRef).optional(),
  budgetLimits: z.object({ daily: usd.optional(), weekly: usd.optional(), monthly: usd.optional(), total: usd.optional() }).strict().optional(),
  rateLimits: z.object({
    requestsPerMinute: z.number().int().positive().optional(),
    requestsPerHour: z.number().int().positive().optional(),
    tokensPerMinute: z.number().int().positive().optional(),
    concurrentRequests: z.number().int().positive().optional(),
  }).strict().optional(),
  tier: z.string().min(1).max(100).optional(),
  qualityRequirements: z.object({ minSuccessRate: z.number().min(0).max(1).optional(), maxLatency: z.number().positive().optional() }).strict().optional(),
  complianceRequirements: z.array(z.string().min(1)).optional(),
}).strict();

/** Names under /api/v1/ that voice and operations use (DESIGN §11): no service may take one. */
export const RESERVED_SERVICE_NAMES: ReadonlySet<string> = new Set([
  'allocate', 'twilio', 'plivo', 'exotel', 'release', 'drain', 'undrain', 'status', 'pod', 'pods',
]);

export const serviceSchema = z.object({
  instances: z.array(z.object({ url: z.url(), weight: z.number().int().positive().default(1) }).strict()).min(1),
  timeoutMs: z.number().int().positive().default(30_000),
}).strict();

export const voicePodSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
  tier: z.enum(['dedicated', 'gold', 'standard', 'shared']),
  capacity: z.number().int().positive(),
  streamUrl: z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL'),
  customer: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).default({}),
  version: z.string().min(1).optional(),
}).strict();

export const sectionSchemas = {
  routingRules: z.array(routingRuleSchema).default([]),
  experiments: z.array(experimentSchema).default([]),
  overrides: z.array(overrideSchema).default([]),
  agentPreferences: z.record(z.string().min(1), agentPreferenceSchema).default({}),
  workspaces: z.record(z.string().min(1), workspaceSchema).default({}),
  services: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-"'), serviceSchema).default({}),
  voicePools: z.object({ pods: z.array(voicePodSchema).default([]) }).strict().prefault({}),
};

export type RoutingRuleConfig = z.infer<typeof routingRuleSchema>;
export type WorkspaceConfig = z.infer<typeof workspaceSchema>;
