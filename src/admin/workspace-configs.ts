import type { z } from 'zod';
import type { WorkspaceConfig, workspaceSchema } from '../config/routing-schemas.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { withBodyPaths } from './body-paths.ts';
import type { ConfigAdmin } from './config-admin.ts';
import { recordOf } from './section-values.ts';

export type WorkspaceInput = z.input<typeof workspaceSchema>;

/** Seed 002's workspace configuration over the shared `workspaces` section (a record by workspace id). */
export class WorkspaceConfigs {
  readonly #admin: ConfigAdmin;
  readonly #now: () => Date;

  constructor(admin: ConfigAdmin, now: () => Date = () => new Date()) {
    this.#admin = admin;
    this.#now = now;
  }

  get(id: string): WorkspaceConfig {
    const ws = this.#admin.current().config.workspaces[id];
    if (ws === undefined) throw new GatewayError('SB_WORKSPACE_NOT_FOUND', { message: `No configuration is set for workspace "${id.slice(0, 200)}". POST /api/workspaces/{id}/config sets it.` });
    return ws;
  }

  /** Replaces the workspace's configuration whole. */
  async set(id: string, input: WorkspaceInput, author: string): Promise<WorkspaceConfig> {
    const existed = this.#admin.current().config.workspaces[id] !== undefined;
    await withBodyPaths(() => this.#admin.editSection('workspaces', (current) => ({
      ...recordOf(current), [id]: { ...input, updatedAt: this.#now().toISOString() },
    }), { author, summary: `workspace ${id} config ${existed ? 'replaced' : 'set'}: ${Object.keys(input).join(', ') || 'empty'}` }), () => `workspaces.${id}`);
    return this.get(id);
  }
}
