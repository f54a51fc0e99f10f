import type { FastifyRequest } from 'fastify';
import type { KeyRole, KeyScope } from '../domain/api-key-record.ts';
import type { Principal } from '../domain/principal.ts';
import { GatewayError } from '../errors/gateway-error.ts';

/**
 * Who may call an admin route, declared in the route's `config`:
 * - `shared` (the default): what every workspace shares (models, rules, experiments, overrides, the configuration,
 *   health): only a key of no workspace;
 * - `tenant`: data that belongs to workspaces (keys, usage, workspaces): any workspace's key, which the route then
 *   holds to its own workspace.
 */
export type RouteAccess = 'shared' | 'tenant';

export interface AccessConfig {
  readonly access?: RouteAccess;
  /** The scope needed; default admin:read for GET and HEAD, admin:write otherwise. */
  readonly scope?: KeyScope;
  /** The lowest role allowed (keys and members: admin). */
  readonly role?: KeyRole;
}

const RANK: Readonly<Record<KeyRole, number>> = { viewer: 0, member: 1, operator: 2, admin: 3 };

/** Checks an authenticated caller against the admin route's access; undefined when it may go on. */
export function checkAdminAccess(request: FastifyRequest, principal: Principal): GatewayError | undefined {
  const config = request.routeOptions.config as AccessConfig;
  const scope = config.scope ?? (request.method === 'GET' || request.method === 'HEAD' ? 'admin:read' : 'admin:write');
  if (!principal.scopes.has(scope)) return new GatewayError('SB_AUTH_FORBIDDEN', { message: `This key has no ${scope} scope (role ${principal.role}); this route needs it.` });
  if (config.role !== undefined && RANK[principal.role] < RANK[config.role]) {
    return new GatewayError('SB_AUTH_FORBIDDEN', { message: `This route needs the ${config.role} role; this key is ${principal.role}.` });
  }
  if ((config.access ?? 'shared') === 'shared' && principal.workspaceId !== null) {
    return new GatewayError('SB_WORKSPACE_FORBIDDEN', { message: `This key belongs to workspace "${principal.workspaceId}"; this route is about what every workspace shares, for keys of no workspace.` });
  }
  return undefined;
}

/**
 * The workspace a tenant route acts on for this caller: its own, or for a key of no workspace the one `asked`
 * (undefined: every workspace). A workspace key asking for another workspace is refused.
 */
export function workspaceFor(principal: Principal, asked?: string): string | undefined {
  if (principal.workspaceId === null) return asked;
  if (asked !== undefined && asked !== principal.workspaceId) {
    throw new GatewayError('SB_WORKSPACE_FORBIDDEN', { param: 'workspaceId', message: `This key belongs to workspace "${principal.workspaceId}"; it cannot see or change workspace "${asked.slice(0, 100)}".` });
  }
  return principal.workspaceId;
}
