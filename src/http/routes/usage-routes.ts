import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../domain/principal.ts';
import type { UsageStore } from '../../storage/ports.ts';
import { workspaceFor } from '../route-access.ts';
import { parsed } from './admin-input.ts';

const usageQuery = z.object({
  request_id: z.string().min(1).optional(),
  key_id: z.string().min(1).optional(),
  workspace_id: z.string().min(1).max(128).optional(),
  since: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
}).strict();

/** GET /api/usage: usage records, newest first; a workspace's key sees its workspace's records only. */
export function registerUsageRoutes(app: FastifyInstance, usage: UsageStore, flush: () => Promise<void>): void {
  app.get('/api/usage', { config: { dialect: 'generic', access: 'tenant' }, schema: { tags: ['admin'] } }, async (request) => {
    const q = parsed(usageQuery, request.query, 'query');
    const workspaceId = workspaceFor(request.principal as Principal, q.workspace_id);
    // Records still queued in this process are written first, so an operator sees the request that just ended.
    await flush();
    const data = await usage.list({
      limit: q.limit, ...(q.request_id ? { requestId: q.request_id } : {}), ...(q.key_id ? { keyId: q.key_id } : {}),
      ...(workspaceId === undefined ? {} : { workspaceId }), ...(q.since ? { since: q.since } : {}),
    });
    return { data };
  });
}
