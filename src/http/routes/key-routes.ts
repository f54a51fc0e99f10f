import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { KeyAdmin } from '../../auth/key-admin.ts';
import type { KeyAuthenticator } from '../../auth/key-authenticator.ts';
import { workspaceIdSchema, workspaceSchema } from '../../config/routing-schemas.ts';
import { KEY_ROLE_INPUTS, KEY_SCOPES, keyRoleOf } from '../../domain/api-key-record.ts';
import type { Principal } from '../../domain/principal.ts';
import { workspaceFor } from '../route-access.ts';
import { parsed } from './admin-input.ts';
import { authorOf } from './author-of.ts';
import { budgetChecks } from '../../budgets/budget-checks.ts';
import { budgetView } from '../../budgets/budget-view.ts';
import type { LimitsConfig } from '../../config/limits-schema.ts';
import type { Admissions } from '../../limits/admissions.ts';
import { limitTag } from '../../limits/request-checks.ts';

const createKeyInput = z.object({
  name: z.string().trim().min(1).max(200),
  role: z.enum(KEY_ROLE_INPUTS).default('member'),
  models: z.array(z.string().min(1)).min(1).nullable().optional(),
  workspaceId: workspaceIdSchema.nullable().optional(),
  scopes: z.array(z.enum(KEY_SCOPES)).min(1).nullable().optional(),
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
  budgetLimits: workspaceSchema.shape.budgetLimits.unwrap().nullable().optional(),
}).strict();
const rotateInput = z.object({
  /** How long the old key keeps working; default one hour, at most 30 days. */
  overlapSeconds: z.number().int().min(0).max(30 * 24 * 3600).default(3600),
}).strict();
const keyParam = z.object({ id: z.string().min(1).max(200) }).strict();
const listQuery = z.object({ workspaceId: workspaceIdSchema.optional() }).strict();

// Keys belong to workspaces: a workspace's key sees and manages that workspace's keys only; making and revoking
// keys needs the admin role there.
const read = { dialect: 'generic', access: 'tenant' } as const;
const write = { dialect: 'generic', access: 'tenant', role: 'admin' } as const;
const schema = { tags: ['admin'] };

/** What a key's budget view reads: the counters (through the limiter) and the time zone of the periods. */
export interface KeyBudgets {
  readonly admissions: Admissions;
  readonly limits: () => LimitsConfig;
}

/** Admin API for keys: create (the key is in this one answer only), list, revoke, rotate, a key's own budget. */
export function registerKeyRoutes(app: FastifyInstance, keys: KeyAdmin, authenticator: KeyAuthenticator, budgets: KeyBudgets): void {
  const principal = (request: FastifyRequest): Principal => request.principal as Principal;

  app.post('/api/keys', { config: write, schema }, async (request, reply) => {
    const input = parsed(createKeyInput, request.body ?? {}, 'body');
    const caller = principal(request);
    const created = await keys.create({ ...input, role: keyRoleOf(input.role) }, caller.workspaceId, authorOf(request));
    return reply.code(201).send(created);
  });
  app.get('/api/keys', { config: read, schema }, async (request) => {
    const asked = parsed(listQuery, request.query, 'query').workspaceId;
    const data = await keys.list(workspaceFor(principal(request), asked) ?? null);
    return { data, total: data.length };
  });
  app.delete('/api/keys/:id', { config: write, schema }, async (request) => {
    const revoked = await keys.revoke(parsed(keyParam, request.params, 'path').id, principal(request).workspaceId, authorOf(request));
    authenticator.forget(revoked.prefix);
    return revoked;
  });
  app.get('/api/keys/:id/budget', { config: read, schema }, async (request) => {
    const key = await keys.get(parsed(keyParam, request.params, 'path').id, principal(request).workspaceId);
    const limits = budgets.limits();
    // The counters a request of this key takes (admission-hook.ts), read with amount 0.
    const checks = budgetChecks(key.budgetLimits, 0, Date.now(), limits.budgetTimeZone, { kind: 'key', keyId: key.id });
    const { states, shared } = await budgets.admissions.peek(limitTag({ kind: 'key', keyId: key.id, workspaceId: key.workspaceId }), checks, limits);
    return budgetView({ workspaceId: key.workspaceId, keyId: key.id }, key.budgetLimits, limits.budgetTimeZone, states, shared);
  });
  app.post('/api/keys/:id/rotate', { config: write, schema }, async (request, reply) => {
    const { overlapSeconds } = parsed(rotateInput, request.body ?? {}, 'body');
    const rotated = await keys.rotate(parsed(keyParam, request.params, 'path').id, overlapSeconds, principal(request).workspaceId, authorOf(request));
    authenticator.forget(rotated.previous.prefix);
    return reply.code(201).send(rotated);
  });
}
