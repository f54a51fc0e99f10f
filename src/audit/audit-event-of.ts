import type { AuditEvent } from '../domain/audit-event.ts';
import { uuidV7 } from '../domain/uuid-v7.ts';

/** Who did something and from where: the request's facts as the HTTP layer knows them. */
export interface AuditActor {
  /** The caller's key id ("env-admin", "jwt:<sub>" …); null when it had no valid key. */
  readonly keyId: string | null;
  readonly workspaceId: string | null;
  readonly userId: string | null;
  /** The client address (request.ip: X-Forwarded-For only from trusted proxies). */
  readonly ip: string | null;
  readonly requestId: string | null;
}

/**
 * Who makes a change: a request's actor, or a name where there is no request ("cli", "bootstrap", a test's key
 * id), which stands as the key id of an actor with nothing else known.
 */
export type ChangeAuthor = AuditActor | string;

/** What happened, to what, for one event; the actor, id and time are added by auditEventOf. */
export interface AuditFacts {
  readonly action: string;
  /** Default "ok". */
  readonly outcome?: AuditEvent['outcome'];
  /** The SB_* code of a refusal. */
  readonly code?: string | null;
  /** The workspace the target belongs to; null for what every workspace shares. */
  readonly workspaceId: string | null;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly before?: unknown;
  readonly after?: unknown;
}

export function actorOf(author: ChangeAuthor): AuditActor {
  return typeof author === 'string' ? { keyId: author, workspaceId: null, userId: null, ip: null, requestId: null } : author;
}

/** The author as the configuration's version history names it: the key id, or the name given. */
export function authorName(author: ChangeAuthor): string {
  return typeof author === 'string' ? author : author.keyId ?? 'unknown';
}

/** One event, with a fresh UUIDv7 id (time-ordered, the pipeline's dedup id) and the time now. Fields always in this order. */
export function auditEventOf(author: ChangeAuthor, facts: AuditFacts, now: Date = new Date()): AuditEvent {
  const actor = actorOf(author);
  return {
    id: uuidV7(),
    at: now.toISOString(),
    action: facts.action,
    outcome: facts.outcome ?? 'ok',
    code: facts.code ?? null,
    actorKeyId: actor.keyId,
    actorWorkspaceId: actor.workspaceId,
    actorUserId: actor.userId,
    ip: actor.ip,
    requestId: actor.requestId,
    workspaceId: facts.workspaceId,
    targetType: facts.targetType,
    targetId: facts.targetId,
    before: facts.before ?? null,
    after: facts.after ?? null,
  };
}
