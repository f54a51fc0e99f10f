import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ModelEndpoints } from '../../admin/model-endpoints.ts';
import { ModelRegistry } from '../../admin/model-registry.ts';
import { MODEL_STATUSES, MODEL_TYPES, modelEndpointSchema, registryModelFields } from '../../config/routing-schemas.ts';
import { modelSchema } from '../../config/schema.ts';
import type { AppDeps } from '../app-deps.ts';
import { parsed, validBody, validPatch } from './admin-input.ts';
import { authorOf } from './author-of.ts';

const config = { dialect: 'generic' } as const;
const schema = { tags: ['admin'] };

/** A model by id, name or alias ("GPT-4 Turbo" as %20-encoded). */
const modelParam = z.object({ id: z.string().min(1).max(400) }).strict();
const listQuery = z.object({
  provider: z.string().min(1).optional(),
  status: z.enum(MODEL_STATUSES).optional(),
  modelType: z.enum(MODEL_TYPES).optional(),
  tag: z.string().min(1).optional(),
}).strict();
const statusBody = z.object({ status: z.enum(MODEL_STATUSES) }).strict();
const batchBody = z.object({
  updates: z.array(z.object({ modelId: z.string().min(1).max(400), status: z.enum(MODEL_STATUSES) }).strict()).min(1, 'at least one update').max(1000),
}).strict();
const healthBody = registryModelFields.reportedHealth.unwrap();

const MODEL_READ_ONLY = ['createdAt', 'updatedAt', 'reportedHealth'];

/**
 * Seed 002's model registry: register, list, get, change, delete, status (one or a batch), endpoints and health.
 * Each change is a configuration version (GET /api/config/versions says who and what).
 */
export function registerModelRoutes(app: FastifyInstance, deps: AppDeps): void {
  const models = new ModelRegistry(deps.configAdmin);
  const endpoints = new ModelEndpoints(deps.configAdmin, deps.health);
  const id = (request: FastifyRequest): string => parsed(modelParam, request.params, 'path').id;

  app.post('/api/models', { config, schema }, async (request, reply) => {
    const body = validBody(modelSchema, request.body ?? {}, MODEL_READ_ONLY);
    return reply.code(201).send(await models.register(body, authorOf(request)));
  });
  app.get('/api/models', { config, schema }, async (request) => {
    const data = models.list(parsed(listQuery, request.query, 'query'));
    return { data, total: data.length };
  });
  // A static segment wins over a parameter in fastify's router: "batch" is never taken for a model id here.
  app.patch('/api/models/batch/status', { config, schema }, async (request) => {
    const body = parsed(batchBody, request.body ?? {}, 'body');
    const data = await models.setStatuses(body.updates, authorOf(request));
    return { data, total: data.length };
  });
  app.get('/api/models/:id', { config, schema }, async (request) => models.get(id(request)));
  app.patch('/api/models/:id', { config, schema }, async (request) => {
    const ref = id(request);
    return models.update(ref, validPatch(modelSchema, request.body, MODEL_READ_ONLY), authorOf(request));
  });
  app.delete('/api/models/:id', { config, schema }, async (request, reply) => {
    await models.remove(id(request), authorOf(request));
    return reply.code(204).send();
  });
  app.patch('/api/models/:id/status', { config, schema }, async (request) => {
    const ref = id(request);
    return models.setStatus(ref, parsed(statusBody, request.body ?? {}, 'body').status, authorOf(request));
  });
  app.post('/api/models/:id/endpoints', { config, schema }, async (request, reply) => {
    const ref = id(request);
    const body = validBody(modelEndpointSchema, request.body ?? {});
    return reply.code(201).send(await endpoints.add(ref, body, authorOf(request)));
  });
  app.get('/api/models/:id/endpoints', { config, schema }, async (request) => {
    const data = endpoints.list(id(request));
    return { data, total: data.length };
  });
  app.post('/api/models/:id/health', { config, schema }, async (request) => {
    const ref = id(request);
    return endpoints.report(ref, validBody(healthBody, request.body ?? {}, ['reportedAt']), authorOf(request));
  });
  app.get('/api/models/:id/health', { config, schema }, async (request) => endpoints.health(id(request)));
}
