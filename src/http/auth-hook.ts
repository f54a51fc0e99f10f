import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyAuthenticator } from '../auth/key-authenticator.ts';
import type { Principal } from '../domain/principal.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { dialectOf } from './error-handler.ts';
import type { AnonymousLimit } from './anonymous-limit.ts';
import { presentedKey } from './presented-key.ts';
import { checkAdminAccess } from './route-access.ts';

/**
 * What an HTTP area asks of its callers: a key with the inference scope, a key the admin route's access allows
 * (route-access.ts), a key if one is sent (operator views that show more to admins), or nothing (probes, docs).
 * Set once per area plugin; admin routes say in their config who may call them.
 */
export type AreaAuth = 'key' | 'admin' | 'optional' | 'none';

export interface AuthHookOptions {
  readonly authenticator: KeyAuthenticator;
  readonly lifecycle: { readonly shuttingDown: boolean };
  readonly need: AreaAuth;
  /** Counts refused authentications against the anonymous tier by client address (anonymous-limit.ts). */
  readonly anonymous?: AnonymousLimit | undefined;
}

/** Sets the request-id headers every answer carries; the Anthropic SDK reads its id from `request-id`. */
export function setRequestIdHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  if (dialectOf(request) === 'anthropic') reply.header('request-id', request.id);
}

/**
 * An area's one onRequest hook: tags the response with the request id and authenticates as the area needs.
 * It runs before the body is read, so unauthenticated callers cost no parsing.
 */
export function authHook(options: AuthHookOptions) {
  const { authenticator, lifecycle, need, anonymous } = options;
  // Callback style, so a key verified moments ago costs no promise (bench: chat c=64 CPU/req).
  return function authenticate(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    setRequestIdHeaders(request, reply);
    if (need === 'none') return done();
    const key = presentedKey(request);
    if (need === 'optional' && key === undefined) return done();
    // Areas that need a key refuse new work while draining; probes and operator views still answer.
    if (need !== 'optional' && lifecycle.shuttingDown) return done(new GatewayError('SB_SHUTTING_DOWN'));
    const cached = authenticator.cached(key);
    if (cached !== undefined) return done(admit(request, cached, need));
    authenticator.authenticate(key).then((principal) => done(admit(request, principal, need)), (err: unknown) => {
      if (anonymous === undefined) return done(err as Error);
      anonymous(request, reply, err).then((refusal) => done(refusal as Error), done);
    });
  };
}

function admit(request: FastifyRequest, principal: Principal, need: AreaAuth): GatewayError | undefined {
  if (need === 'admin') {
    const refused = checkAdminAccess(request, principal);
    if (refused !== undefined) return refused;
  } else if (need === 'key' && !principal.scopes.has('inference')) {
    return new GatewayError('SB_AUTH_FORBIDDEN', { message: `This key has no inference scope (role ${principal.role}); model calls need it.` });
  }
  request.principal = principal;
  return undefined;
}

/** For routes of an 'optional' area that only an operator of every workspace may see. */
export function requireAdmin(request: FastifyRequest): void {
  if (request.principal === undefined) throw new GatewayError('SB_AUTH_MISSING_KEY');
  if (!isAdmin(request)) throw new GatewayError('SB_AUTH_FORBIDDEN', { message: 'This view needs a key of no workspace with the admin:read scope.' });
}

/** A caller that may read everything: a key of no workspace with admin:read (admin, operator or viewer). */
export function isAdmin(request: FastifyRequest): boolean {
  const principal = request.principal;
  return principal !== undefined && principal.workspaceId === null && principal.scopes.has('admin:read');
}
