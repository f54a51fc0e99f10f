import type { FastifyRequest } from 'fastify';
import type { AuditActor } from '../../audit/audit-event-of.ts';

/**
 * Who makes a change and from where: the caller's key, workspace and user, its address and the request id. The
 * configuration's version history names the key id; the change's audit event all of it.
 */
export function authorOf(request: FastifyRequest): AuditActor {
  const principal = request.principal;
  return {
    keyId: principal?.keyId ?? null, workspaceId: principal?.workspaceId ?? null, userId: principal?.userId ?? null,
    ip: request.ip, requestId: request.id,
  };
}
