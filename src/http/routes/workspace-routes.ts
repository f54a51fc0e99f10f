import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { WorkspaceConfigs } from '../../admin/workspace-configs.ts';
import { budgetChecks } from '../../budgets/budget-checks.ts';
import { budgetView } from '../../budgets/budget-view.ts';
import { workspaceTag } from '../../limits/request-checks.ts';
import { workspaceIdSchema, workspaceSchema } from '../../config/routing-schemas.ts';
import type { Principal } from '../../domain/principal.ts';
import type { AppDeps } from '../app-deps.ts';
import { workspaceFor } from '../route-access.ts';
import { parsed, validBody, validPatch } from './admin-input.ts';
import { authorOf } from './author-of.ts';

const workspaceParam = z.object({ id: workspaceIdSchema }).strict();
const memberParam = z.object({ id: workspaceIdSchema, userId: z.string().min(1).max(200) }).strict();
const createBody = workspaceSchema.extend({ id: workspaceIdSchema.optional() }).strict();
const memberBody = workspaceSchema.shape.members.unwrap().element.omit({ addedAt: true });
const READ_ONLY = ['createdAt', 'updatedAt'];
const CONFIG_READ_ONLY = [...READ_ONLY, 'members', 'name'];

const schema = { tags: ['admin'] };
// Limits, budgets and restrictions are the operator's to set: a workspace's own keys read them; its admins manage
// its members.
const shared = { dialect: 'generic' } as const;
const tenantRead = { dialect: 'generic', access: 'tenant' } as const;
const tenantAdmin = { dialect: 'generic', access: 'tenant', role: 'admin' } as const;

/** Workspaces (tenants): create, list, get, change, delete; members; seed 002's configuration. */
export function registerWorkspaceRoutes(app: FastifyInstance, deps: AppDeps): void {
  const workspaces = new WorkspaceConfigs(deps.configAdmin, deps.storage.keys);
  /** The path's workspace, when the caller may act on it. */
  const id = (request: FastifyRequest): string => {
    const asked = parsed(workspaceParam, { id: (request.params as { id?: unknown }).id }, 'path').id;
    return workspaceFor(request.principal as Principal, asked) ?? asked;
  };

  app.post('/api/workspaces', { config: shared, schema }, async (request, reply) => {
    const body = validBody(createBody, request.body ?? {}, READ_ONLY);
    return reply.code(201).send(await workspaces.create(body, authorOf(request)));
  });
  app.get('/api/workspaces', { config: tenantRead, schema }, async (request) => {
    const own = (request.principal as Principal).workspaceId;
    const data = workspaces.list(own ?? undefined);
    return { data, total: data.length };
  });
  app.get('/api/workspaces/:id', { config: tenantRead, schema }, async (request) => workspaces.get(id(request)));
  app.patch('/api/workspaces/:id', { config: shared, schema }, async (request) => {
    const ws = id(request);
    return workspaces.update(ws, validPatch(workspaceSchema, request.body, [...READ_ONLY, 'members']), authorOf(request));
  });
  app.delete('/api/workspaces/:id', { config: shared, schema }, async (request, reply) => {
    await workspaces.remove(id(request), authorOf(request));
    return reply.code(204).send();
  });
  app.get('/api/workspaces/:id/members', { config: tenantRead, schema }, async (request) => {
    const data = workspaces.members(id(request));
    return { data, total: data.length };
  });
  app.post('/api/workspaces/:id/members', { config: tenantAdmin, schema }, async (request, reply) => {
    const ws = id(request);
    return reply.code(201).send(await workspaces.addMember(ws, parsed(memberBody, request.body ?? {}, 'body'), authorOf(request)));
  });
  app.delete('/api/workspaces/:id/members/:userId', { config: tenantAdmin, schema }, async (request, reply) => {
    const { userId } = parsed(memberParam, request.params, 'path');
    await workspaces.removeMember(id(request), userId, authorOf(request));
    return reply.code(204).send();
  });
  app.post('/api/workspaces/:id/config', { config: shared, schema }, async (request) => {
    const ws = id(request);
    return workspaces.setConfig(ws, validBody(workspaceSchema, request.body ?? {}, CONFIG_READ_ONLY), authorOf(request));
  });
  app.get('/api/workspaces/:id/config', { config: tenantRead, schema }, async (request) => workspaces.get(id(request)));
  app.get('/api/workspaces/:id/budget', { config: tenantRead, schema }, async (request) => {
    const ws = workspaces.get(id(request));
    const { limits } = deps.routing.current.config;
    // Checks that take nothing (amount 0): they read the counters.
    const checks = budgetChecks(ws.budgetLimits, 0, Date.now(), limits.budgetTimeZone);
    const { states, shared } = await deps.admissions.peek(workspaceTag(ws.id), checks, limits);
    return budgetView({ workspaceId: ws.id }, ws.budgetLimits, limits.budgetTimeZone, states, shared);
  });
}
