import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RoutingRules } from '../../admin/routing-rules.ts';
import { resourceId, routingRuleSchema } from '../../config/routing-schemas.ts';
import type { AppDeps } from '../app-deps.ts';
import { parsed, validBody, validPatch } from './admin-input.ts';
import { authorOf } from './author-of.ts';

const config = { dialect: 'generic' } as const;
const schema = { tags: ['admin'] };
const ruleParam = z.object({ id: resourceId }).strict();
const READ_ONLY = ['createdAt', 'updatedAt'];

/** Seed 002's routing rules: add, list (highest priority first), get, change, delete. */
export function registerRuleRoutes(app: FastifyInstance, deps: AppDeps): void {
  const rules = new RoutingRules(deps.configAdmin);
  const id = (request: FastifyRequest): string => parsed(ruleParam, request.params, 'path').id;

  app.post('/api/routing/rules', { config, schema }, async (request, reply) => {
    const body = validBody(routingRuleSchema, request.body ?? {}, READ_ONLY);
    return reply.code(201).send(await rules.create(body, authorOf(request)));
  });
  app.get('/api/routing/rules', { config, schema }, async () => {
    const data = rules.list();
    return { data, total: data.length };
  });
  app.get('/api/routing/rules/:id', { config, schema }, async (request) => rules.get(id(request)));
  app.patch('/api/routing/rules/:id', { config, schema }, async (request) => {
    const ruleId = id(request);
    return rules.update(ruleId, validPatch(routingRuleSchema, request.body, READ_ONLY), authorOf(request));
  });
  app.delete('/api/routing/rules/:id', { config, schema }, async (request, reply) => {
    await rules.remove(id(request), authorOf(request));
    return reply.code(204).send();
  });
}
