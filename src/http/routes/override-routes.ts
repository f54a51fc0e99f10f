import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { overrideInputSchema, RoutingOverrides } from '../../admin/routing-overrides.ts';
import { resourceId } from '../../config/routing-schemas.ts';
import type { AppDeps } from '../app-deps.ts';
import { parsed } from './admin-input.ts';
import { authorOf } from './author-of.ts';

const config = { dialect: 'generic' } as const;
const schema = { tags: ['admin'] };
const overrideParam = z.object({ id: resourceId }).strict();
const listQuery = z.object({ all: z.enum(['true', 'false']).optional() }).strict();

/** Operators' overrides (seed 004): create with a reason and a lifetime, list those in force, delete. */
export function registerOverrideRoutes(app: FastifyInstance, deps: AppDeps): void {
  const overrides = new RoutingOverrides(deps.configAdmin);

  app.post('/api/routing/overrides', { config, schema }, async (request, reply) => {
    const body = parsed(overrideInputSchema, request.body ?? {}, 'body');
    return reply.code(201).send(await overrides.create(body, authorOf(request)));
  });
  app.get('/api/routing/overrides', { config, schema }, async (request) => {
    const data = overrides.list(parsed(listQuery, request.query, 'query').all === 'true');
    return { data, total: data.length };
  });
  app.delete('/api/routing/overrides/:id', { config, schema }, async (request, reply) => {
    await overrides.remove(parsed(overrideParam, request.params, 'path').id, authorOf(request));
    return reply.code(204).send();
  });
}
