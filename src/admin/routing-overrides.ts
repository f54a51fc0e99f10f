import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { authorName, type ChangeAuthor } from '../audit/audit-event-of.ts';
import type { Tree } from '../config/merge-patch.ts';
import { defaultOverrideId, overrideSchema, type OverrideConfig } from '../config/routing-schemas.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { withBodyPaths } from './body-paths.ts';
import type { ChangeSubject, ConfigAdmin } from './config-admin.ts';
import { invalidRequest } from './invalid-request.ts';
import { listOf } from './section-values.ts';

const MAX_TTL_SECONDS = 30 * 24 * 3600;

/**
 * POST /api/routing/overrides: an override as the section holds it, with its lifetime as ttlSeconds (1 s … 30
 * days) or an expiresAt within the same bound, and without what the gateway sets (createdBy, createdAt).
 */
const { createdBy: _by, createdAt: _at, ...writable } = overrideSchema.shape;

export const overrideInputSchema = z.object({
  ...writable,
  expiresAt: writable.expiresAt.optional(),
  ttlSeconds: z.number().int().min(1, 'at least 1 second').max(MAX_TTL_SECONDS, 'at most 30 days (2592000 seconds)').optional(),
}).strict().superRefine((o, ctx) => {
  if (o.ttlSeconds === undefined && o.expiresAt === undefined) ctx.addIssue({ code: 'custom', path: ['ttlSeconds'], message: 'an override expires: give ttlSeconds (1 s … 30 days) or expiresAt' });
  if (o.ttlSeconds !== undefined && o.expiresAt !== undefined) ctx.addIssue({ code: 'custom', path: ['ttlSeconds'], message: 'give ttlSeconds or expiresAt, not both' });
  if (o.expiresAt !== undefined) {
    const left = Date.parse(o.expiresAt) - Date.now();
    if (left <= 0) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'expiresAt is in the past' });
    else if (left > MAX_TTL_SECONDS * 1000) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'at most 30 days ahead' });
  }
  // The kind's own requirements (force_target names match.model and modelId …), as the section checks them.
  const { ttlSeconds: _ttl, ...rest } = o;
  const check = overrideSchema.safeParse({ ...rest, expiresAt: new Date(0).toISOString() });
  if (!check.success) for (const issue of check.error.issues) if (issue.code === 'custom') ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});

export type OverrideInput = z.infer<typeof overrideInputSchema>;
export type StoredOverride = OverrideConfig & { readonly id: string };

/**
 * Operators' overrides (seed 004) over the shared `overrides` section. Each is in force until its expiresAt (the
 * engine ignores it after); expired ones are dropped from the section whenever an override is created or
 * deleted. Each change is an audit event (override.create, override.delete) with the override before and after,
 * besides its version ("override <id> created: <reason>").
 */
export class RoutingOverrides {
  readonly #admin: ConfigAdmin;
  readonly #now: () => Date;

  constructor(admin: ConfigAdmin, now: () => Date = () => new Date()) {
    this.#admin = admin;
    this.#now = now;
  }

  /** Those in force; with `all`, expired ones too. Each says whether it is in force. */
  list(all: boolean): Array<StoredOverride & { readonly active: boolean }> {
    const now = this.#now().getTime();
    return this.#admin.current().config.overrides.map((o) => ({ ...o, active: Date.parse(o.expiresAt) > now })).filter((o) => all || o.active);
  }

  async create(input: OverrideInput, author: ChangeAuthor): Promise<StoredOverride & { readonly active: boolean }> {
    const now = this.#now();
    if (input.id !== undefined && this.#admin.current().config.overrides.some((o) => o.id === input.id)) {
      throw invalidRequest([{ path: 'id', message: `an override "${input.id}" exists already` }], 'body');
    }
    const id = input.id ?? `${input.kind.replace('_', '-')}-${randomUUID().slice(0, 8)}`;
    const { ttlSeconds, ...fields } = input;
    const expiresAt = fields.expiresAt ?? new Date(now.getTime() + (ttlSeconds ?? 0) * 1000).toISOString();
    const entry = { ...fields, id, createdBy: authorName(author), createdAt: now.toISOString(), expiresAt };
    let index = 0;
    await withBodyPaths(() => this.#admin.editSection('overrides', (current) => {
      const kept = withoutExpired(listOf(current), now.getTime());
      index = kept.length;
      return [...kept, entry];
    }, { author, summary: `override ${id} created: ${input.reason}${expiredNote(this.#expiredNow(now.getTime()))}`, audit: overrideSubject('override.create', id) }), () => `overrides.${index}`);
    const stored = this.list(true).find((o) => o.id === id);
    if (stored === undefined) throw new Error(`override ${id} missing after it was created`);
    return stored;
  }

  async remove(id: string, author: ChangeAuthor): Promise<void> {
    const now = this.#now().getTime();
    const override = this.#admin.current().config.overrides.find((o) => o.id === id);
    if (override === undefined) throw overrideNotFound(id);
    await withBodyPaths(() => this.#admin.editSection('overrides', (current) => {
      const kept = withoutExpired(listOf(current), now);
      const all = withOverrideIds(listOf(current));
      if (!all.some((o) => o.id === id)) throw overrideNotFound(id);
      return kept.filter((o) => o.id !== id);
    }, { author, summary: `override ${id} deleted (${override.kind}: ${override.reason})${expiredNote(this.#expiredNow(now, id))}`, audit: overrideSubject('override.delete', id) }), () => undefined);
  }

  /** Overrides past their expiry now (but `except`): dropped by the change being made. */
  #expiredNow(now: number, except?: string): number {
    return this.#admin.current().config.overrides.filter((o) => o.id !== except && Date.parse(o.expiresAt) <= now).length;
  }
}

function overrideSubject(action: string, id: string): ChangeSubject {
  return { action, targetType: 'override', targetId: id, pick: (config) => config.overrides.find((o) => o.id === id) };
}

function expiredNote(n: number): string {
  return n === 0 ? '' : `; ${n} expired override${n === 1 ? '' : 's'} removed`;
}

/** The raw overrides with their ids written out first (positional defaults would shift as others go). */
function withOverrideIds(list: readonly Tree[]): Array<Tree & { id: string }> {
  return list.map((o, i) => ({ ...o, id: typeof o.id === 'string' ? o.id : defaultOverrideId(String(o.kind), i) }));
}

function withoutExpired(list: readonly Tree[], now: number): Array<Tree & { id: string }> {
  return withOverrideIds(list).filter((o) => !(typeof o.expiresAt === 'string' && Date.parse(o.expiresAt) <= now));
}

function overrideNotFound(id: string): GatewayError {
  return new GatewayError('SB_OVERRIDE_NOT_FOUND', { message: `No override has the id "${id.slice(0, 200)}" (expired ones are removed with the next override change). GET /api/routing/overrides?all=true lists them.` });
}
