import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AgentPreferences } from '../../admin/agent-preferences.ts';
import { agentPreferenceSchema } from '../../config/routing-schemas.ts';
import type { Principal } from '../../domain/principal.ts';
import type { AppDeps } from '../app-deps.ts';
import { parsed, validBody } from './admin-input.ts';
import { authorOf } from './author-of.ts';

const config = { dialect: 'generic' } as const;
const schema = { tags: ['admin'] };
const agentParam = z.object({ agentType: z.string().min(1).max(200) }).strict();

/** Seed 002's agent configuration: preferences (set whole, get) and the models that could serve the agent now. */
export function registerAgentRoutes(app: FastifyInstance, deps: AppDeps): void {
  const agents = new AgentPreferences(deps.configAdmin, deps.routing);
  const agentType = (request: FastifyRequest): string => parsed(agentParam, request.params, 'path').agentType;

  app.post('/api/agents/:agentType/preferences', { config, schema }, async (request) => {
    const agent = agentType(request);
    return agents.set(agent, validBody(agentPreferenceSchema, request.body ?? {}, ['updatedAt']), authorOf(request));
  });
  app.get('/api/agents/:agentType/preferences', { config, schema }, async (request) => agents.get(agentType(request)));
  app.get('/api/agents/:agentType/models', { config, schema }, async (request) => agents.models(agentType(request), request.principal as Principal));
}
