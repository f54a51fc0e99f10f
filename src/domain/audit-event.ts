/**
 * One audit event: who did what to which thing, when, from where, and what it was before and after. Plain data,
 * written once, never updated; it travels the usage pipeline (journal, then every sink) beside the usage records.
 */
export interface AuditEvent {
  /** Unique id (UUIDv7): the dedup id of the pipeline. */
  readonly id: string;
  /** ISO-8601 time it happened. */
  readonly at: string;
  /**
   * What happened, "<thing>.<verb>": key.create, key.revoke, key.rotate, config.change, config.import,
   * config.rollback, model.create, rule.update, override.create, workspace.delete, auth.failure,
   * limit.refused, budget.refused, … (docs/record-schema.md lists them all).
   */
  readonly action: string;
  /** "ok" for a change made, "refused" for an auth failure or a limit or budget refusal. */
  readonly outcome: 'ok' | 'refused';
  /** The SB_* code of a refusal; null for a change made. */
  readonly code: string | null;
  /** Who: the caller's key id (null when it had none, or a wrong one), workspace and user when known. */
  readonly actorKeyId: string | null;
  readonly actorWorkspaceId: string | null;
  readonly actorUserId: string | null;
  /** From which address (the client address as trusted proxies let it be known). */
  readonly ip: string | null;
  /** The request that did it. */
  readonly requestId: string | null;
  /** The workspace the thing belongs to (what scopes the event for a workspace's own audit view). */
  readonly workspaceId: string | null;
  /** What it was done to: a kind ("key", "model", "config", "route"…) and its id, when it has one. */
  readonly targetType: string;
  readonly targetId: string | null;
  /**
   * The thing before and after, secrets never in clear; null where there is no before (a create) or after (a
   * delete). For a refusal: before null, after the answer ({ status, message, keyPrefix }: the presented key's
   * public prefix when the caller had no valid key, else null).
   */
  readonly before: unknown;
  readonly after: unknown;
}
