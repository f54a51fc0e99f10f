import type { FastifyRequest } from 'fastify';

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
