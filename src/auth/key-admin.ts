import { randomUUID } from 'node:crypto';
import { auditEventOf, type ChangeAuthor } from '../audit/audit-event-of.ts';
import { NO_AUDIT, type AuditLog } from '../audit/audit-log.ts';
import { DEFAULT_WORKSPACE, ROLE_SCOPES, type BudgetLimits, type KeyScope } from '../domain/api-key-record.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ApiKeyRecord, KeyRole, KeyStore } from '../storage/ports.ts';
import { generateApiKey } from './api-key.ts';

export interface CreateKeyInput {
  readonly name: string;
  readonly role: KeyRole;
  readonly models?: readonly string[] | null | undefined;
  /**
   * The workspace the key belongs to. Left out: "default", except for an admin key, which then belongs to none
   * and sees every workspace. null: none (admin keys only).
   */
  readonly workspaceId?: string | null | undefined;
  /** A subset of the role's scopes; left out or null: all of them. */
  readonly scopes?: readonly KeyScope[] | null | undefined;
  /** ISO-8601; left out or null: the key does not expire. */
  readonly expiresAt?: string | null | undefined;
  /** The key's own budget, held besides its workspace's; left out or null: none. */
  readonly budgetLimits?: BudgetLimits | null | undefined;
}

/** A key as shown to operators: everything but the hash. */
export type PublicKeyView = Omit<ApiKeyRecord, 'hash'>;

/** The workspace a caller may act on: a workspace id, or null for one that sees every workspace. */
export type WorkspaceScope = string | null;

export interface KeyAdminOptions {
  readonly now?: () => Date;
  /** Where key.create, key.revoke and key.rotate events go; default nowhere (the CLI). */
  readonly audit?: AuditLog;
}

/**
 * Key management use cases shared by the admin API and the CLI. Each change is an audit event with the key as
 * shown to operators before and after (never its secret or hash), by `author`.
 */
export class KeyAdmin {
  readonly #store: KeyStore;
  readonly #now: () => Date;
  readonly #audit: AuditLog;

  constructor(store: KeyStore, options: KeyAdminOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? (() => new Date());
    this.#audit = options.audit ?? NO_AUDIT;
  }

  /**
   * Creates a key; the returned `key` is the only time the secret exists outside the caller. A caller bound to a
   * workspace (`within`) makes keys of that workspace only.
   */
  async create(input: CreateKeyInput, within: WorkspaceScope = null, author: ChangeAuthor = 'unknown'): Promise<PublicKeyView & { key: string }> {
    const workspaceId = workspaceOf(input, within);
    const scopes = input.scopes ?? null;
    if (scopes !== null) {
      const allowed = ROLE_SCOPES[input.role];
      const extra = scopes.filter((s) => !allowed.includes(s));
      if (extra.length > 0) throw invalid('scopes', `role ${input.role} does not have ${extra.join(', ')} (it has ${allowed.join(', ')})`);
    }
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && Date.parse(expiresAt) <= this.#now().getTime()) throw invalid('expiresAt', 'expiresAt is in the past');
    const { key, prefix, hash } = generateApiKey();
    const record: ApiKeyRecord = {
      id: randomUUID(), prefix, hash, name: input.name, role: input.role,
      models: input.models === undefined || input.models === null ? null : [...input.models],
      workspaceId, scopes: scopes === null ? null : [...new Set(scopes)], expiresAt, budgetLimits: input.budgetLimits ?? null,
      createdAt: this.#now().toISOString(), revokedAt: null, lastUsedAt: null,
    };
    await this.#store.insert(record);
    const view = publicView(record);
    this.#record(author, 'key.create', null, view);
    return { ...view, key };
  }

  /** Newest first; a workspace's own keys only when `within` names one. */
  async list(within: WorkspaceScope = null): Promise<PublicKeyView[]> {
    const all = await this.#store.list();
    return (within === null ? all : all.filter((k) => k.workspaceId === within)).map(publicView);
  }

  /** One key by id or public prefix, within the caller's workspace. */
  async get(idOrPrefix: string, within: WorkspaceScope = null): Promise<PublicKeyView> {
    return publicView(await this.#find(idOrPrefix, within));
  }

  /** Revokes by id or by public prefix; returns the revoked key. */
  async revoke(idOrPrefix: string, within: WorkspaceScope = null, author: ChangeAuthor = 'unknown'): Promise<PublicKeyView> {
    const record = await this.#find(idOrPrefix, within);
    await this.#store.revoke(record.id, this.#now().toISOString());
    const after = publicView((await this.#store.get(record.id)) ?? record);
    this.#record(author, 'key.revoke', publicView(record), after);
    return after;
  }

  /**
   * A new key with the same name, role, models, workspace, scopes, expiry and budget (a new budget counter: what the
 * old key spent stays the old key's); the old one keeps working for
   * `overlapSeconds` (0: it stops now), so callers can move to the new one without a gap.
   */
  async rotate(idOrPrefix: string, overlapSeconds: number, within: WorkspaceScope = null, author: ChangeAuthor = 'unknown'): Promise<{ readonly key: PublicKeyView & { key: string }; readonly previous: PublicKeyView }> {
    const old = await this.#find(idOrPrefix, within);
    if (old.revokedAt !== null) throw new GatewayError('SB_INVALID_REQUEST', { param: 'id', message: 'The key is revoked; a revoked key cannot be rotated. Create a new one.' });
    const now = this.#now().getTime();
    if (old.expiresAt !== null && Date.parse(old.expiresAt) <= now) throw new GatewayError('SB_INVALID_REQUEST', { param: 'id', message: 'The key has expired; create a new one.' });
    const key = await this.create({ name: old.name, role: old.role, models: old.models, workspaceId: old.workspaceId, scopes: old.scopes, expiresAt: old.expiresAt, budgetLimits: old.budgetLimits }, within, author);
    await this.#store.expire(old.id, new Date(now + overlapSeconds * 1000).toISOString());
    const previous = publicView((await this.#store.get(old.id)) ?? old);
    // The old key's expiry set to the end of the overlap; the new key has its own key.create event.
    this.#record(author, 'key.rotate', publicView(old), { ...previous, replacedBy: key.id });
    return { key, previous };
  }

  #record(author: ChangeAuthor, action: string, before: PublicKeyView | null, after: PublicKeyView & { readonly replacedBy?: string }): void {
    this.#audit.record(auditEventOf(author, { action, workspaceId: after.workspaceId, targetType: 'key', targetId: after.id, before, after }, this.#now()));
  }

  /** A key the caller may act on; another workspace's key is "not found", so its existence is not revealed. */
  async #find(idOrPrefix: string, within: WorkspaceScope): Promise<ApiKeyRecord> {
    const record = (await this.#store.get(idOrPrefix)) ?? (await this.#store.findByPrefix(idOrPrefix));
    if (record === undefined || (within !== null && record.workspaceId !== within)) throw new GatewayError('SB_KEY_NOT_FOUND', { param: 'id' });
    return record;
  }
}

function workspaceOf(input: CreateKeyInput, within: WorkspaceScope): string | null {
  if (within !== null) {
    if (input.workspaceId !== undefined && input.workspaceId !== within) {
      throw new GatewayError('SB_WORKSPACE_FORBIDDEN', { param: 'workspaceId', message: `This key belongs to workspace "${within}"; it can make keys of that workspace only.` });
    }
    return within;
  }
  if (input.workspaceId === null && input.role !== 'admin') throw invalid('workspaceId', 'only an admin key may belong to no workspace');
  if (input.workspaceId !== undefined) return input.workspaceId;
  return input.role === 'admin' ? null : DEFAULT_WORKSPACE;
}

function invalid(param: string, reason: string): GatewayError {
  return new GatewayError('SB_INVALID_REQUEST', { param, message: `Invalid key request: ${param}: ${reason}.`, issues: [{ path: param, message: reason }] });
}

function publicView(record: ApiKeyRecord): PublicKeyView {
  const { hash: _hash, ...view } = record;
  return view;
}
