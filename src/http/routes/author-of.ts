import type { FastifyRequest } from 'fastify';

/** Who makes a change, for the configuration's version history: the caller's key id. */
export function authorOf(request: FastifyRequest): string {
  return request.principal?.keyId ?? 'unknown';
}
