import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { UsageStore } from '../../storage/ports.ts';

const usageQuery = z.object({
  request_id: z.string().min(1).optional(),
  key_id: z.string().min(1).optional(),
  since: z.iso.datetime().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
}).strict();

/** GET /api/usage: usage records, newest first (admin). */
export function registerUsageRoutes(app: FastifyInstance, usage: UsageStore, flush: () => Promise<void>): void {
  app.get('/api/usage', { config: { dialect: 'generic' }, schema: { tags: ['admin'] } }, async (request) => {
    const parsed = usageQuery.safeParse(request.query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GatewayError('SB_INVALID_REQUEST', { param: issue?.path.join('.') || undefined, message: `Invalid query: ${issue?.path.join('.') || 'query'}: ${issue?.message ?? 'invalid'}.` });
    }
    // Records still queued in this process are written first, so an operator sees the request that just ended.
    await flush();
    const q = parsed.data;
    const data = await usage.list({ limit: q.limit, ...(q.request_id ? { requestId: q.request_id } : {}), ...(q.key_id ? { keyId: q.key_id } : {}), ...(q.since ? { since: q.since } : {}) });
    return { data };
  });
}
