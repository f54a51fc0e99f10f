import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyAuthenticator } from '../auth/key-authenticator.ts';
import { GatewayError } from '../errors/gateway-error.ts';

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

/** onRequest hook: runs before the body is read, so unauthenticated callers cost no parsing. */
export function authHook(authenticator: KeyAuthenticator) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const need = request.routeOptions.config.auth ?? 'none';
    if (need === 'none') return;
    const principal = await authenticator.authenticate(presentedKey(request));
    if (need === 'admin' && principal.role !== 'admin') throw new GatewayError('SB_AUTH_FORBIDDEN');
    request.principal = principal;
  };
}
