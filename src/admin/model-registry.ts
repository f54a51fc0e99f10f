import type { z } from 'zod';
import { slugOf, type MODEL_STATUSES } from '../config/routing-schemas.ts';
import type { ChangeAuthor } from '../audit/audit-event-of.ts';
import type { Config, ModelConfig, modelSchema } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { withBodyPaths } from './body-paths.ts';
import type { ChangeSubject, ConfigAdmin } from './config-admin.ts';
import { editModel } from './edit-model.ts';
import { findModel, lookupModel, modelNotFound, rawModelIndex } from './find-model.ts';
import { invalidRequest } from './invalid-request.ts';
import { listOf, patched } from './section-values.ts';
import { uniqueId } from './unique-id.ts';

/** A models entry as a caller writes it (seed 002's register body, plus ours), validated by the route. */
export type ModelInput = z.input<typeof modelSchema>;
export type ModelStatus = typeof MODEL_STATUSES[number];

export interface ModelFilter {
  readonly provider?: string | undefined;
  readonly status?: ModelStatus | undefined;
  readonly modelType?: string | undefined;
  readonly tag?: string | undefined;
}

/** The audit subject of a change to the model with this id: the model's entry before and after. */
export function modelSubject(action: string, id: string): ChangeSubject {
  return { action, targetType: 'model', targetId: id, pick: (config: Config) => config.models.find((m) => m.id === id) };
}

/** Ids an admin path segment takes for itself: a model with a generated id never gets one. */
const RESERVED_IDS = ['batch'];

/**
 * Seed 002's model registry over the shared `models` section: every change is one configuration version,
 * validated whole (a rule naming a deleted model refuses the delete) and the same on every replica.
 */
export class ModelRegistry {
  readonly #admin: ConfigAdmin;
  readonly #now: () => Date;

  constructor(admin: ConfigAdmin, now: () => Date = () => new Date()) {
    this.#admin = admin;
    this.#now = now;
  }

  list(filter: ModelFilter = {}): ModelConfig[] {
    return this.#admin.current().config.models.filter((m) => (filter.provider === undefined || m.provider === filter.provider)
      && (filter.status === undefined || m.status === filter.status) && (filter.modelType === undefined || m.modelType === filter.modelType)
      && (filter.tag === undefined || m.tags.includes(filter.tag)));
  }

  /** By id, name or alias; SB_MODEL_NOT_FOUND when none. */
  get(ref: string): ModelConfig {
    return findModel(this.#admin.current().config, ref);
  }

  /** Adds an entry; its id is the one given or its name's slug, made unique (-2, -3 …). */
  async register(input: ModelInput, author: ChangeAuthor): Promise<ModelConfig> {
    const { config } = this.#admin.current();
    const taken = new Set([...RESERVED_IDS, ...config.models.flatMap((m) => [m.id, m.name, ...m.aliases])]);
    const id = input.id ?? uniqueId(slugOf(input.name), taken);
    const at = this.#now().toISOString();
    const entry = { ...input, id, createdAt: at, updatedAt: at };
    let index = 0;
    await withBodyPaths(() => this.#admin.editSection('models', (current) => {
      const list = listOf(current);
      index = list.length;
      return [...list, entry];
    }, { author, summary: `model ${id} registered (${input.name}, provider ${input.provider})`, audit: modelSubject('model.create', id) }), () => `models.${index}`);
    return this.get(id);
  }

  /** Replaces the fields given (null: back to the default); the id cannot change. */
  async update(ref: string, patch: Readonly<Record<string, unknown>>, author: ChangeAuthor): Promise<ModelConfig> {
    const id = this.get(ref).id;
    if (patch.id !== undefined && patch.id !== id) throw invalidRequest([{ path: 'id', message: `the id cannot change (it is "${id}")` }], 'body');
    const fields = Object.keys(patch).filter((k) => k !== 'id');
    const meta = { author, summary: `model ${id} updated: ${fields.join(', ') || 'nothing'}`, audit: modelSubject('model.update', id) };
    return editModel(this.#admin, id, meta, (entry) => patched(entry, patch), this.#now);
  }

  async setStatus(ref: string, status: ModelStatus, author: ChangeAuthor): Promise<ModelConfig> {
    const model = this.get(ref);
    const meta = { author, summary: `model ${model.id} status ${model.status} → ${status}`, audit: modelSubject('model.set_status', model.id) };
    return editModel(this.#admin, model.id, meta, (entry) => ({ ...entry, status }), this.#now);
  }

  /** Seed 002's batch: one version for all, or (an id unknown) nothing. */
  async setStatuses(updates: ReadonlyArray<{ readonly modelId: string; readonly status: ModelStatus }>, author: ChangeAuthor): Promise<ModelConfig[]> {
    const { config } = this.#admin.current();
    const unknown: Array<{ path: string; message: string }> = [];
    const resolved = updates.map((u, i) => {
      const model = lookupModel(config, u.modelId);
      if (model === undefined) unknown.push({ path: `updates.${i}.modelId`, message: `no registered model "${u.modelId}"` });
      return { id: model?.id ?? '', from: model?.status, status: u.status };
    });
    if (unknown.length > 0) {
      throw new GatewayError('SB_MODEL_NOT_FOUND', {
        param: unknown[0]?.path, issues: unknown,
        message: `No registered model has the id, name or alias ${updates.filter((_, i) => unknown.some((u) => u.path === `updates.${i}.modelId`)).map((u) => `"${u.modelId.slice(0, 200)}"`).join(', ')}; nothing was changed.`,
      });
    }
    const at = this.#now().toISOString();
    await withBodyPaths(() => this.#admin.editSection('models', (current) => {
      const list = listOf(current);
      for (const r of resolved) {
        const index = rawModelIndex(list, r.id);
        const entry = list[index];
        if (entry === undefined) throw modelNotFound(r.id);
        list[index] = { ...entry, id: r.id, status: r.status, updatedAt: at };
      }
      return list;
    }, {
      author, summary: `models status: ${resolved.map((r) => `${r.id} ${r.from ?? '?'} → ${r.status}`).join(', ')}`,
      audit: [...new Set(resolved.map((r) => r.id))].map((id) => modelSubject('model.set_status', id)),
    }), () => undefined);
    const after = this.#admin.current().config;
    return resolved.map((r) => findModel(after, r.id));
  }

  /** Refused whole (SB_CONFIG_INVALID) while a rule, experiment, override, preference or workspace still names it. */
  async remove(ref: string, author: ChangeAuthor): Promise<void> {
    const model = this.get(ref);
    await withBodyPaths(() => this.#admin.editSection('models', (current) => {
      const list = listOf(current);
      const index = rawModelIndex(list, model.id);
      if (index === -1) throw modelNotFound(ref);
      return list.filter((_, i) => i !== index);
    }, { author, summary: `model ${model.id} deleted`, audit: modelSubject('model.delete', model.id) }), () => undefined);
  }
}
