import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyAuthenticator } from '../auth/key-authenticator.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { dialectOf } from './error-handler.ts';

/** The key as any SDK sends it: OpenAI's "Authorization: Bearer", Anthropic's "x-api-key" (X-API-Key is the same header). */
export function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match !== null) return match[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

/**
 * The one onRequest hook: tags the response with the request id and authenticates. It runs before the body is
 * read, so unauthenticated callers cost no parsing.
 */
export function authHook(authenticator: KeyAuthenticator, lifecycle: { readonly shuttingDown: boolean }) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.header('x-request-id', request.id);
    // The Anthropic SDK reads the request id, of errors too, from this header.
    if (dialectOf(request) === 'anthropic') reply.header('request-id', request.id);
    const need = request.routeOptions.config.auth ?? 'none';
    if (need === 'none') return;
    // Keyless routes (probes: /ready turns 503 by itself) still answer while draining; the rest is refused.
    if (lifecycle.shuttingDown) throw new GatewayError('SB_SHUTTING_DOWN');
    const principal = await authenticator.authenticate(presentedKey(request));
    if (need === 'admin' && principal.role !== 'admin') throw new GatewayError('SB_AUTH_FORBIDDEN');
    request.principal = principal;
  };
}
