import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { exportChunks, exportFileName, EXPORT_TYPES, primed } from '../../admin/usage-export.ts';
import type { Principal } from '../../domain/principal.ts';
import type { AppDeps } from '../app-deps.ts';
import { workspaceFor } from '../route-access.ts';
import { parsed } from './admin-input.ts';
import { idSchema, rangeFields, resolveRange, workspaceIdSchema } from './analytics-input.ts';
import { usageRange } from './analytics-routes.ts';

const exportQuery = z.object({
  format: z.enum(['csv', 'ndjson', 'json']).default('csv'),
  ...rangeFields,
  workspaceId: workspaceIdSchema.optional(),
  keyId: idSchema.optional(),
  modelId: idSchema.optional(),
  kind: z.enum(['request', 'attempt']).optional(),
}).strict();

/**
 * GET /api/usage/export: the usage records of a time range (both kinds unless `kind`), oldest first, streamed
 * page by page from the store as CSV, NDJSON or a JSON array; a workspace's key gets its workspace's records only.
 */
export function registerUsageExportRoute(app: FastifyInstance, deps: AppDeps): void {
  app.get('/api/usage/export', { config: { dialect: 'generic', access: 'tenant' }, schema: { tags: ['admin'] } }, async (request, reply) => {
    const q = parsed(exportQuery, request.query, 'query');
    const { rawDays, rollupDays } = deps.routing.current.config.usage.retention;
    const r = resolveRange(q, '24h', Math.max(rawDays, rollupDays), Date.now());
    const workspaceId = workspaceFor(request.principal as Principal, q.workspaceId);
    const range = usageRange(r, { workspaceId, keyId: q.keyId, model: q.modelId });
    await deps.usage.flush();
    const pages = await primed(deps.storage.usage.scan(q.kind === undefined ? range : { ...range, kind: q.kind }));
    return reply
      .header('content-type', EXPORT_TYPES[q.format])
      .header('content-disposition', `attachment; filename="${exportFileName(r.since, r.until, q.format)}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(exportChunks(pages, q.format)));
  });
}
