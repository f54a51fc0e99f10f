import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { WorkspaceConfigs } from '../../admin/workspace-configs.ts';
import { workspaceSchema } from '../../config/routing-schemas.ts';
import type { AppDeps } from '../app-deps.ts';
import { parsed, validBody } from './admin-input.ts';
import { authorOf } from './author-of.ts';

const config = { dialect: 'generic' } as const;
const schema = { tags: ['admin'] };
const workspaceParam = z.object({ id: z.string().min(1).max(200) }).strict();

/** Seed 002's workspace configuration: set whole, get. */
export function registerWorkspaceRoutes(app: FastifyInstance, deps: AppDeps): void {
  const workspaces = new WorkspaceConfigs(deps.configAdmin);
  const id = (request: FastifyRequest): string => parsed(workspaceParam, request.params, 'path').id;

  app.post('/api/workspaces/:id/config', { config, schema }, async (request) => {
    const ws = id(request);
    return workspaces.set(ws, validBody(workspaceSchema, request.body ?? {}, ['updatedAt']), authorOf(request));
  });
  app.get('/api/workspaces/:id/config', { config, schema }, async (request) => workspaces.get(id(request)));
}
