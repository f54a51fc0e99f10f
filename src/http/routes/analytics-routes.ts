import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { figuresView, groupView, requestMetric, spendOrder } from '../../admin/analytics-view.ts';
import { WorkspaceConfigs } from '../../admin/workspace-configs.ts';
import type { Principal } from '../../domain/principal.ts';
import type { UsageGroupBy, UsageRange } from '../../storage/ports.ts';
import type { AppDeps } from '../app-deps.ts';
import { workspaceFor } from '../route-access.ts';
import { parsed } from './admin-input.ts';
import { idSchema, rangeFields, resolveRange, workspaceIdSchema, type ResolvedRange } from './analytics-input.ts';

const requestsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  workspaceId: workspaceIdSchema.optional(),
  keyId: idSchema.optional(),
  since: rangeFields.since,
}).strict();
const modelsQuery = z.object({ ...rangeFields, modelId: idSchema.optional(), workspaceId: workspaceIdSchema.optional() }).strict();
const workspaceQuery = z.object(rangeFields).strict();
const workspaceParam = z.object({ id: workspaceIdSchema }).strict();
const GROUP_BY = ['workspace', 'key', 'model', 'day'] as const satisfies readonly UsageGroupBy[];
const spendQuery = z.object({
  ...rangeFields, groupBy: z.enum(GROUP_BY).default('workspace'),
  workspaceId: workspaceIdSchema.optional(), keyId: idSchema.optional(), modelId: idSchema.optional(),
}).strict();

type Filters = { readonly [K in 'workspaceId' | 'keyId' | 'model']?: string | undefined };

/** The store's query: the resolved range and the filters that are set. */
export function usageRange(r: ResolvedRange, filters: Filters): UsageRange {
  const { workspaceId, keyId, model } = filters;
  return {
    since: r.since, until: r.until,
    ...(workspaceId === undefined ? {} : { workspaceId }), ...(keyId === undefined ? {} : { keyId }), ...(model === undefined ? {} : { model }),
  };
}

const config = { dialect: 'generic', access: 'tenant' } as const;
const schema = { tags: ['admin'] };

/**
 * Seed 002's analytics and monitoring routes, and spend by group: figures the usage store computes over the request
 * records, held to the caller's workspace like GET /api/usage (a workspace key sees its own, or is refused another's).
 */
export function registerAnalyticsRoutes(app: FastifyInstance, deps: AppDeps): void {
  const usage = deps.storage.usage;
  const workspaces = new WorkspaceConfigs(deps.configAdmin, deps.storage.keys);
  // Records still queued in this process are written first, so the answer includes the request that just ended.
  const flush = () => deps.usage.flush();
  const range = (query: Parameters<typeof resolveRange>[0], fallback: string): ResolvedRange => {
    const { rawDays, rollupDays } = deps.routing.current.config.usage.retention;
    return resolveRange(query, fallback, Math.max(rawDays, rollupDays), Date.now());
  };
  const scope = (request: FastifyRequest, asked: string | undefined) => workspaceFor(request.principal as Principal, asked);

  app.get('/api/metrics/requests', { config, schema }, async (request) => {
    const q = parsed(requestsQuery, request.query, 'query');
    const workspaceId = scope(request, q.workspaceId);
    await flush();
    const records = await usage.list({
      kind: 'request', limit: q.limit, ...(workspaceId === undefined ? {} : { workspaceId }), ...(q.keyId === undefined ? {} : { keyId: q.keyId }),
      ...(q.since === undefined ? {} : { since: q.since }),
    });
    return { data: records.map(requestMetric), total: records.length };
  });

  app.get('/api/analytics/models', { config, schema }, async (request) => {
    const q = parsed(modelsQuery, request.query, 'query');
    const r = range(q, '24h');
    const query = usageRange(r, { workspaceId: scope(request, q.workspaceId), model: q.modelId });
    await flush();
    const [totals, models] = await Promise.all([usage.summarize(query), usage.breakdown(query, 'model')]);
    return { ...r, totals: figuresView(totals), data: models.map((g) => groupView('model', g)), total: models.length };
  });

  app.get('/api/analytics/workspaces/:id', { config, schema }, async (request) => {
    const asked = parsed(workspaceParam, { id: (request.params as { id?: unknown }).id }, 'path').id;
    const workspaceId = scope(request, asked) ?? asked;
    const q = parsed(workspaceQuery, request.query, 'query');
    workspaces.get(workspaceId);
    const r = range(q, '7d');
    const query = usageRange(r, { workspaceId });
    await flush();
    const [totals, models, keys, days] = await Promise.all([
      usage.summarize(query), usage.breakdown(query, 'model'), usage.breakdown(query, 'key'), usage.breakdown(query, 'day'),
    ]);
    return {
      workspaceId, ...r, totals: figuresView(totals),
      models: models.map((g) => groupView('model', g)), keys: keys.map((g) => groupView('key', g)), daily: days.map((g) => groupView('day', g)),
    };
  });

  app.get('/api/analytics/spend', { config, schema }, async (request) => {
    const q = parsed(spendQuery, request.query, 'query');
    const r = range(q, '30d');
    const query = usageRange(r, { workspaceId: scope(request, q.workspaceId), keyId: q.keyId, model: q.modelId });
    await flush();
    const [totals, groups] = await Promise.all([usage.summarize(query), usage.breakdown(query, q.groupBy)]);
    return { groupBy: q.groupBy, ...r, totals: figuresView(totals), data: spendOrder(q.groupBy, groups).map((g) => groupView(q.groupBy, g)), total: groups.length };
  });
}
