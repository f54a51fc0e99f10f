import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { KeyAdmin } from '../../auth/key-admin.ts';
import type { KeyAuthenticator } from '../../auth/key-authenticator.ts';
import { GatewayError } from '../../errors/gateway-error.ts';

const createKeyInput = z.object({
  name: z.string().trim().min(1).max(200),
  role: z.enum(['admin', 'inference']).default('inference'),
  models: z.array(z.string().min(1)).min(1).nullable().optional(),
}).strict();

/** Admin API for keys: create (the key is in this one answer only), list, revoke. */
export function registerKeyRoutes(app: FastifyInstance, keys: KeyAdmin, authenticator: KeyAuthenticator): void {
  const config = { dialect: 'generic' } as const;
  app.post('/api/keys', { config, schema: { tags: ['admin'] } }, async (request, reply) => {
    const parsed = createKeyInput.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GatewayError('SB_INVALID_REQUEST', { param: issue?.path.join('.') || undefined, message: `Invalid key request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}.` });
    }
    return reply.code(201).send(await keys.create(parsed.data));
  });
  app.get('/api/keys', { config, schema: { tags: ['admin'] } }, async () => ({ data: await keys.list() }));
  app.delete<{ Params: { id: string } }>('/api/keys/:id', { config, schema: { tags: ['admin'] } }, async (request) => {
    const revoked = await keys.revoke(request.params.id);
    authenticator.forget(revoked.prefix);
    return revoked;
  });
}
