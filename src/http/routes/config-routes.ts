import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { asConfigGatewayError, type ConfigAdmin } from '../../admin/config-admin.ts';
import type { VersionedConfig } from '../../config/versioned-config.ts';
import { parsed } from './admin-input.ts';
import { authorOf } from './author-of.ts';

const config = { dialect: 'generic' } as const;
const schema = { tags: ['admin'] };

const dryRunQuery = z.object({ dry_run: z.enum(['true', 'false']).optional() }).strict();
const versionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).optional(),
}).strict();
const versionParam = z.object({ n: z.coerce.number().int().min(1) });
const importBody = z.object({ config: z.unknown() }).strict();
const rollbackBody = z.object({ version: z.number().int().min(1) }).strict();

/**
 * The configuration's admin API: its current state, changes (a merge patch, seed 002's import), the version
 * history and rollback. Every change is validated whole; a refused one answers SB_CONFIG_INVALID with every issue.
 */
export function registerConfigRoutes(app: FastifyInstance, versions: VersionedConfig, admin: ConfigAdmin): void {
  app.get('/api/config', { config, schema }, async () => ({ ...admin.export(), status: versions.status() }));
  app.get('/api/config/export', { config, schema }, async () => admin.export());
  app.patch('/api/config', { config, schema }, async (request) => {
    const dryRun = parsed(dryRunQuery, request.query, 'query').dry_run === 'true';
    return result(await changing(() => admin.patch(request.body, authorOf(request), dryRun)), dryRun);
  });
  app.post('/api/config/import', { config, schema }, async (request) => {
    const dryRun = parsed(dryRunQuery, request.query, 'query').dry_run === 'true';
    const body = parsed(importBody, request.body ?? {}, 'body');
    return result(await changing(() => admin.import(body.config, authorOf(request), dryRun)), dryRun);
  });
  app.post('/api/config/rollback', { config, schema }, async (request) => {
    const body = parsed(rollbackBody, request.body ?? {}, 'body');
    return result(await changing(() => admin.rollback(body.version, authorOf(request))), false);
  });
  app.get('/api/config/versions', { config, schema }, async (request) => {
    const q = parsed(versionsQuery, request.query, 'query');
    return { data: await versions.versions({ limit: q.limit, ...(q.before === undefined ? {} : { before: q.before }) }), current: versions.current().version };
  });
  app.get('/api/config/versions/:n', { config, schema }, async (request) => versions.version(parsed(versionParam, request.params, 'path').n));
}

async function changing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw asConfigGatewayError(err);
  }
}

function result(r: { version: number; applied: boolean; changes: readonly unknown[] }, dryRun: boolean): Record<string, unknown> {
  return { version: r.version, applied: r.applied, dry_run: dryRun, changes: r.changes };
}
