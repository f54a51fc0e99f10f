import type { AuditEvent } from '../domain/audit-event.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { AuditQuery } from './ports.ts';

export const DEFAULT_AUDIT_LIMIT = 100;
/** Bounds one answer's size, so a careless query cannot load the whole audit table into memory. */
export const MAX_AUDIT_LIMIT = 1000;

const OUTCOMES: ReadonlySet<string> = new Set<AuditEvent['outcome']>(['ok', 'refused']);

/** An AuditQuery checked once, in the form every adapter filters by (times as epoch ms, see to-epoch-ms.ts). */
export interface AuditFilter {
  readonly requestId: string | undefined;
  readonly workspaceId: string | undefined;
  readonly actorKeyId: string | undefined;
  /** The action asked for exactly, or undefined for a prefix (or none). */
  readonly action: string | undefined;
  /** A prefix as the range [from, to) of text, so an index on the action serves it: "key." → ["key.", "key/"). */
  readonly actionRange: { readonly from: string; readonly to: string } | undefined;
  readonly outcome: AuditEvent['outcome'] | undefined;
  readonly targetType: string | undefined;
  readonly targetId: string | undefined;
  readonly sinceMs: number | undefined;
  readonly untilMs: number | undefined;
  readonly limit: number;
  readonly before: string | undefined;
}

function refuse(param: string, reason: string): GatewayError {
  return new GatewayError('SB_INVALID_REQUEST', { param, message: `Invalid audit query: ${param} ${reason}.`, issues: [{ path: param, message: reason }] });
}

function timeOf(value: string | undefined, param: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw refuse(param, `is not an ISO-8601 time: ${JSON.stringify(String(value).slice(0, 100))}`);
  return ms;
}

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_AUDIT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) throw refuse('limit', `must be a whole number from 1 to ${MAX_AUDIT_LIMIT}, got ${String(limit)}`);
  return limit;
}

/** The one reading of an AuditQuery that every adapter applies; throws SB_INVALID_REQUEST naming the field. */
export function resolveAuditQuery(query: AuditQuery): AuditFilter {
  const { action, outcome } = query;
  if (outcome !== undefined && !OUTCOMES.has(outcome)) throw refuse('outcome', `must be "ok" or "refused", got ${JSON.stringify(String(outcome).slice(0, 100))}`);
  if (action === '') throw refuse('action', 'must not be empty');
  const prefix = action?.endsWith('.') === true;
  return {
    requestId: query.requestId, workspaceId: query.workspaceId, actorKeyId: query.actorKeyId,
    action: prefix ? undefined : action,
    // '.' + 1 is '/': every text that starts with the prefix sorts in [prefix, prefix with its dot made a slash).
    actionRange: prefix && action !== undefined ? { from: action, to: `${action.slice(0, -1)}/` } : undefined,
    outcome, targetType: query.targetType, targetId: query.targetId,
    sinceMs: timeOf(query.since, 'since'), untilMs: timeOf(query.until, 'until'),
    limit: limitOf(query.limit), before: query.before,
  };
}

/** The refusal of a `before` that names no stored event (every adapter answers the same). */
export function unknownCursor(before: string): GatewayError {
  return refuse('before', `names no audit event: ${JSON.stringify(before.slice(0, 100))}`);
}
