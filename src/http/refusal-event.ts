import type { FastifyRequest } from 'fastify';
import { auditEventOf } from '../audit/audit-event-of.ts';
import { keyPrefix } from '../auth/api-key.ts';
import type { AuditEvent } from '../domain/audit-event.ts';
import type { ErrorCode } from '../errors/catalogue.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import { presentedKey } from './presented-key.ts';
import { authorOf } from './routes/author-of.ts';

/**
 * The refusals of a caller that operators must be able to trace (who, what, from where), and the audit action
 * each is recorded as: a missing, malformed, unknown, revoked or expired key or a bad token; a valid key that may
 * not use the route; a rate limit (the anonymous tier's included) or the limiter store's closed policy; a budget.
 */
const REFUSAL_ACTIONS: ReadonlyMap<ErrorCode, string> = new Map<ErrorCode, string>([
  ['SB_AUTH_MISSING_KEY', 'auth.failure'], ['SB_AUTH_INVALID_KEY', 'auth.failure'], ['SB_AUTH_EXPIRED_KEY', 'auth.failure'],
  ['SB_AUTH_REVOKED_KEY', 'auth.failure'], ['SB_AUTH_INVALID_TOKEN', 'auth.failure'], ['SB_AUTH_EXPIRED_TOKEN', 'auth.failure'],
  ['SB_AUTH_FORBIDDEN', 'auth.forbidden'], ['SB_WORKSPACE_FORBIDDEN', 'auth.forbidden'],
  ['SB_RATE_LIMITED', 'limit.refused'], ['SB_LIMITER_UNAVAILABLE', 'limit.refused'],
  ['SB_BUDGET_EXCEEDED', 'budget.refused'],
]);

/** The audit action of a refusal with this code; undefined for every other error. */
export function refusalAction(code: ErrorCode): string | undefined {
  return REFUSAL_ACTIONS.get(code);
}

/**
 * The audit event of a refusal, made only when one happens (nothing of it runs for a request that goes through).
 * The target is the route; `after` is the answer: status, message and, for a caller without a valid key, the
 * presented key's public prefix when it has the form of one — never the key's secret part or a token. A limit or
 * budget refusal belongs to the caller's workspace (its own audit view shows it); a forbidden attempt, which is
 * about what the workspace may not reach (another workspace, what all share), to the operators' view alone.
 */
export function refusalEvent(err: GatewayError, request: FastifyRequest, action: string, route: string): AuditEvent {
  const presented = request.principal === undefined ? presentedKey(request) : undefined;
  return auditEventOf(authorOf(request), {
    action, outcome: 'refused', code: err.code, workspaceId: action === 'auth.forbidden' ? null : request.principal?.workspaceId ?? null,
    targetType: 'route', targetId: `${request.method} ${route}`,
    before: null, after: { status: err.status, message: err.message, keyPrefix: presented === undefined ? null : keyPrefix(presented) ?? null },
  });
}
