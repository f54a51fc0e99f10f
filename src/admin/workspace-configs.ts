import type { z } from 'zod';
import type { ChangeAuthor } from '../audit/audit-event-of.ts';
import { slugOf, type WorkspaceConfig, type workspaceSchema } from '../config/routing-schemas.ts';
import { DEFAULT_WORKSPACE } from '../domain/api-key-record.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { KeyStore } from '../storage/ports.ts';
import { withBodyPaths } from './body-paths.ts';
import type { ChangeSubject, ConfigAdmin } from './config-admin.ts';
import { invalidRequest } from './invalid-request.ts';
import { patched, recordOf } from './section-values.ts';

export type WorkspaceInput = z.input<typeof workspaceSchema>;
export type Member = NonNullable<WorkspaceConfig['members']>[number];
export type MemberInput = Omit<Member, 'addedAt' | 'role'> & { readonly role?: Member['role'] | undefined };
export type StoredWorkspace = WorkspaceConfig & { readonly id: string };

/** Set by the gateway, kept when seed 002's config POST replaces the rest. */
const KEPT = ['name', 'members', 'createdAt'] as const;

/**
 * Workspaces (tenants) over the shared `workspaces` section, a record by workspace id: seed 002's configuration
 * (models, quality, compliance, budgets), rate limits, tier and members. Every change is one configuration
 * version. "default" always exists: keys made without a workspace belong to it.
 */
export class WorkspaceConfigs {
  readonly #admin: ConfigAdmin;
  readonly #keys: Pick<KeyStore, 'list'>;
  readonly #now: () => Date;

  constructor(admin: ConfigAdmin, keys: Pick<KeyStore, 'list'>, now: () => Date = () => new Date()) {
    this.#admin = admin;
    this.#keys = keys;
    this.#now = now;
  }

  /** Every workspace, or the one `only` names. */
  list(only?: string): StoredWorkspace[] {
    const all = this.#all();
    return only === undefined ? all : all.filter((w) => w.id === only);
  }

  get(id: string): StoredWorkspace {
    const ws = this.#all().find((w) => w.id === id);
    if (ws === undefined) throw notFound(id);
    return ws;
  }

  /** POST /api/workspaces: a new workspace; its id is the name's slug unless given. */
  async create(input: WorkspaceInput & { readonly id?: string | undefined }, author: ChangeAuthor): Promise<StoredWorkspace> {
    const { id: given, ...fields } = input;
    const id = given ?? slugOf(fields.name ?? '');
    if (id === '') throw invalidRequest([{ path: 'id', message: 'give an id or a name' }], 'body');
    if (this.#all().some((w) => w.id === id)) throw invalidRequest([{ path: 'id', message: `workspace "${id}" exists` }], 'body');
    const at = this.#now().toISOString();
    await this.#edit(id, () => ({ ...fields, createdAt: at, updatedAt: at }), author, `workspace ${id} created`, workspaceSubject('workspace.create', id));
    return this.get(id);
  }

  /** PATCH: the fields given replace the workspace's; null removes one. */
  async update(id: string, patch: Readonly<Record<string, unknown>>, author: ChangeAuthor): Promise<StoredWorkspace> {
    this.get(id);
    await this.#edit(id, (entry) => ({ ...patched(entry, patch), updatedAt: this.#now().toISOString() }), author, `workspace ${id} updated: ${Object.keys(patch).join(', ')}`, workspaceSubject('workspace.update', id));
    return this.get(id);
  }

  /** Refused while keys that are not revoked belong to it; "default" cannot go. */
  async remove(id: string, author: ChangeAuthor): Promise<void> {
    this.get(id);
    if (id === DEFAULT_WORKSPACE) throw invalidRequest([{ path: 'id', message: 'the default workspace cannot be deleted' }], 'path');
    const keys = (await this.#keys.list()).filter((k) => k.workspaceId === id && k.revokedAt === null);
    if (keys.length > 0) throw invalidRequest([{ path: 'id', message: `${keys.length} active key(s) belong to workspace "${id}" (${keys.slice(0, 5).map((k) => k.prefix).join(', ')}); revoke them first` }], 'path');
    await withBodyPaths(() => this.#admin.editSection('workspaces', (current) => {
      const { [id]: _gone, ...rest } = recordOf(current);
      return rest;
    }, { author, summary: `workspace ${id} deleted`, audit: workspaceSubject('workspace.delete', id) }), () => `workspaces.${id}`);
  }

  /** Seed 002's POST /api/workspaces/{id}/config: replaces the configuration whole, name and members kept. */
  async setConfig(id: string, input: WorkspaceInput, author: ChangeAuthor): Promise<StoredWorkspace> {
    const existed = this.#all().some((w) => w.id === id);
    await this.#edit(id, (entry) => {
      const kept = Object.fromEntries(KEPT.filter((k) => entry[k] !== undefined).map((k) => [k, entry[k]]));
      return { ...kept, ...input, updatedAt: this.#now().toISOString() };
    }, author, `workspace ${id} config ${existed ? 'replaced' : 'set'}: ${Object.keys(input).join(', ') || 'empty'}`, workspaceSubject('workspace.set_config', id));
    return this.get(id);
  }

  members(id: string): readonly Member[] {
    return this.get(id).members ?? [];
  }

  /** Adds a member, or changes the role of one with the same userId. */
  async addMember(id: string, input: MemberInput, author: ChangeAuthor): Promise<Member> {
    this.get(id);
    const member = { ...input, role: input.role ?? 'member', addedAt: this.#now().toISOString() };
    await this.#edit(id, (entry) => {
      const list = (Array.isArray(entry.members) ? entry.members : []) as Member[];
      return { ...entry, members: [...list.filter((m) => m.userId !== input.userId), member] };
    }, author, `workspace ${id}: member ${input.userId} set (${member.role})`, memberSubject('member.add', id, input.userId));
    return member;
  }

  async removeMember(id: string, userId: string, author: ChangeAuthor): Promise<void> {
    if (!this.members(id).some((m) => m.userId === userId)) {
      throw new GatewayError('SB_MEMBER_NOT_FOUND', { param: 'userId', message: `Workspace "${id}" has no member "${userId.slice(0, 200)}".` });
    }
    await this.#edit(id, (entry) => ({ ...entry, members: (entry.members as Member[]).filter((m) => m.userId !== userId) }), author, `workspace ${id}: member ${userId} removed`, memberSubject('member.remove', id, userId));
  }

  #all(): StoredWorkspace[] {
    const record = this.#admin.current().config.workspaces;
    const list = Object.entries(record).map(([id, ws]) => ({ ...ws, id }));
    if (record[DEFAULT_WORKSPACE] === undefined) list.unshift({ id: DEFAULT_WORKSPACE, name: 'Default' });
    return list;
  }

  async #edit(id: string, change: (entry: Record<string, unknown>) => Record<string, unknown>, author: ChangeAuthor, summary: string, audit: ChangeSubject): Promise<void> {
    await withBodyPaths(() => this.#admin.editSection('workspaces', (current) => {
      const record = recordOf(current);
      return { ...record, [id]: change(record[id] ?? {}) };
    }, { author, summary, audit }), () => `workspaces.${id}`);
  }
}

/** The audit subject of a change to a workspace: the workspace's entry before and after, in its own audit view. */
function workspaceSubject(action: string, id: string): ChangeSubject {
  return { action, targetType: 'workspace', targetId: id, workspaceId: id, pick: (config) => config.workspaces[id] };
}

function memberSubject(action: string, workspaceId: string, userId: string): ChangeSubject {
  return { action, targetType: 'member', targetId: userId, workspaceId, pick: (config) => config.workspaces[workspaceId]?.members?.find((m) => m.userId === userId) };
}

function notFound(id: string): GatewayError {
  return new GatewayError('SB_WORKSPACE_NOT_FOUND', { message: `No workspace has the id "${id.slice(0, 200)}". GET /api/workspaces lists them.` });
}
