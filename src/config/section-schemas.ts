/**
 * The sections of the shared configuration that the routing, tenancy, service and voice features fill. Each is
 * validated here, by the same schema whether it comes from a file, the admin API, an import or etcd; the
 * features that use a section extend its schema rather than keeping settings of their own.
 */
import { z } from 'zod';
import { limitsSchema } from './limits-schema.ts';
import { agentPreferenceSchema, defaultOverrideId, experimentSchema, overrideSchema, routingRuleSchema, slugOf, withIds, workspaceSchema } from './routing-schemas.ts';

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
  routingRules: z.array(routingRuleSchema).default([]).transform(withIds((r) => slugOf(r.name))),
  experiments: z.array(experimentSchema).default([]).transform(withIds((e) => slugOf(e.name))),
  overrides: z.array(overrideSchema).default([]).transform(withIds((o, i) => defaultOverrideId(o.kind, i))),
  agentPreferences: z.record(z.string().min(1), agentPreferenceSchema).default({}),
  workspaces: z.record(z.string().min(1), workspaceSchema).default({}),
  limits: limitsSchema,
  services: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-"'), serviceSchema).default({}),
  voicePools: z.object({ pods: z.array(voicePodSchema).default([]) }).strict().prefault({}),
};

export type { RoutingRuleConfig, WorkspaceConfig } from './routing-schemas.ts';
