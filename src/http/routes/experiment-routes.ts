import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Experiments } from '../../admin/experiments.ts';
import { experimentSchema, resourceId } from '../../config/routing-schemas.ts';
import type { AppDeps } from '../app-deps.ts';
import { parsed, validBody } from './admin-input.ts';
import { authorOf } from './author-of.ts';

const config = { dialect: 'generic' } as const;
const schema = { tags: ['admin'] };
const experimentParam = z.object({ id: resourceId }).strict();
const promoteBody = z.object({ variant: z.string().min(1).max(64).optional(), model: z.string().min(1).max(400).optional() }).strict();
const feedbackBody = z.object({
  requestId: z.string().min(1).max(200),
  score: z.number(),
  comment: z.string().max(2000).optional(),
}).strict();
/** Set by start, stop and promote. */
const READ_ONLY = ['status', 'startedAt', 'stoppedAt', 'winner', 'createdAt'];

/** A/B experiments: create (a draft), list, get with results, start, stop, promote the winner, feedback scores. */
export function registerExperimentRoutes(app: FastifyInstance, deps: AppDeps): void {
  const experiments = new Experiments(deps.configAdmin, deps.storage.usage, () => deps.usage.flush());
  const id = (request: FastifyRequest): string => parsed(experimentParam, request.params, 'path').id;

  app.post('/api/experiments', { config, schema }, async (request, reply) => {
    const body = validBody(experimentSchema, request.body ?? {}, READ_ONLY);
    return reply.code(201).send(await experiments.create(body, authorOf(request)));
  });
  app.get('/api/experiments', { config, schema }, async () => {
    const data = experiments.list();
    return { data, total: data.length };
  });
  app.get('/api/experiments/:id', { config, schema }, async (request) => {
    const experimentId = id(request);
    const experiment = experiments.get(experimentId);
    return { ...experiment, results: await experiments.results(experimentId) };
  });
  app.post('/api/experiments/:id/start', { config, schema }, async (request) => experiments.start(id(request), authorOf(request)));
  app.post('/api/experiments/:id/stop', { config, schema }, async (request) => experiments.stop(id(request), authorOf(request)));
  app.post('/api/experiments/:id/promote', { config, schema }, async (request) => {
    // An unknown experiment is a 404 whatever the body says.
    const experimentId = experiments.get(id(request)).id;
    return experiments.promote(experimentId, parsed(promoteBody, request.body ?? {}, 'body'), authorOf(request));
  });
  app.post('/api/experiments/:id/feedback', { config, schema }, async (request, reply) => {
    const experimentId = experiments.get(id(request)).id;
    return reply.code(201).send(await experiments.feedback(experimentId, parsed(feedbackBody, request.body ?? {}, 'body')));
  });
}
