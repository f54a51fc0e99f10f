import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { workspaceIdSchema } from '../../config/routing-schemas.ts';
import type { Principal } from '../../domain/principal.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { AuditQuery, AuditStore } from '../../storage/ports.ts';
import { MAX_AUDIT_LIMIT } from '../../storage/resolve-audit-query.ts';
import { workspaceFor } from '../route-access.ts';
import { parsed } from './admin-input.ts';

const time = z.iso.datetime({ offset: true });
const auditQuery = z.object({
  action: z.string().max(100).regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.?$/, 'an action ("key.create") or, ending in a dot, a prefix of one ("key.")').optional(),
  outcome: z.enum(['ok', 'refused']).optional(),
  keyId: z.string().min(1).max(200).optional(),
  workspaceId: workspaceIdSchema.optional(),
  targetType: z.string().min(1).max(100).optional(),
  targetId: z.string().min(1).max(400).optional(),
  since: time.optional(),
  until: time.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_AUDIT_LIMIT).default(100),
  /** The id of the last event of the previous page (the answer's `next`). */
  before: z.string().min(1).max(200).optional(),
}).strict();
const requestParam = z.object({ requestId: z.string().min(1).max(200) }).strict();

const config = { dialect: 'generic', access: 'tenant' } as const;
const schema = { tags: ['admin'] };

/** Only the filters given: the store's query has no keys for the others. */
function storeQuery(q: z.output<typeof auditQuery>, workspaceId: string | undefined): AuditQuery {
  const { keyId, workspaceId: _asked, ...rest } = q;
  const given = Object.entries({ ...rest, actorKeyId: keyId, workspaceId }).filter(([, value]) => value !== undefined);
  return Object.fromEntries(given) as AuditQuery;
}

/**
 * GET /api/audit (filters, newest first, paged by `before`) and GET /api/audit/{requestId} (the events of one
 * request). An admin key of no workspace sees every event; a workspace's key only those of its workspace, and
 * another workspace's request id is "not found". Events still buffered in this process are written first.
 */
export function registerAuditRoutes(app: FastifyInstance, audit: AuditStore, flush: () => Promise<void>): void {
  app.get('/api/audit', { config, schema }, async (request) => {
    const q = parsed(auditQuery, request.query, 'query');
    const workspaceId = workspaceFor(request.principal as Principal, q.workspaceId);
    await flush();
    const data = await audit.list(storeQuery(q, workspaceId));
    // A full page may have more behind it: `next` is what to send as before.
    return { data, next: data.length === q.limit ? data.at(-1)?.id ?? null : null };
  });
  app.get('/api/audit/:requestId', { config, schema }, async (request) => {
    const { requestId } = parsed(requestParam, request.params, 'path');
    const workspaceId = workspaceFor(request.principal as Principal);
    await flush();
    const data = await audit.list({ requestId, limit: MAX_AUDIT_LIMIT, ...(workspaceId === undefined ? {} : { workspaceId }) });
    if (data.length === 0) throw new GatewayError('SB_NOT_FOUND', { param: 'requestId', message: `No audit event of request "${requestId.slice(0, 200)}" is visible to this key.` });
    return { data };
  });
}
