import { z } from 'zod';
import { invalidRequest } from '../../admin/invalid-request.ts';
import { workspaceIdSchema } from '../../config/routing-schemas.ts';
import type { ErrorIssue } from '../../errors/gateway-error.ts';

const HOUR_MS = 3_600_000;
const TIME_RANGE = /^([1-9]\d{0,4})([hd])$/;
const time = z.iso.datetime({ offset: true });

/** The query fields every analytics route and the export take to say which time range they read. */
export const rangeFields = {
  /** `<n>h` or `<n>d` ending at `until` (default now): 1h, 24h, 7d, 30d … up to the retention. */
  timeRange: z.string().regex(TIME_RANGE, 'a time range like 1h, 24h, 7d or 30d').optional(),
  since: time.optional(),
  until: time.optional(),
};

/** Model names, key ids: printable, no spaces, bounded. */
export const idSchema = z.string().regex(/^[\x21-\x7e]{1,200}$/, 'an id: 1 to 200 printable characters, no spaces');
export { workspaceIdSchema };

export interface ResolvedRange {
  /** ISO-8601 (UTC), inclusive. */
  readonly since: string;
  /** ISO-8601 (UTC), exclusive. */
  readonly until: string;
  /** The time range asked for or taken by default; null when `since` was given. */
  readonly timeRange: string | null;
}

function rangeMs(timeRange: string): number {
  const [, count = '0', unit] = TIME_RANGE.exec(timeRange) ?? [];
  return Number(count) * (unit === 'd' ? 24 : 1) * HOUR_MS;
}

/**
 * [since, until) from the query: `since` as given, or `until` − timeRange (default `fallback`); `until` as given
 * or now. Refused, with the field: a time range longer than `maxDays`, a time range and a since together, a
 * since that is not before until.
 */
export function resolveRange(query: { readonly timeRange?: string | undefined; readonly since?: string | undefined; readonly until?: string | undefined }, fallback: string, maxDays: number, now: number): ResolvedRange {
  const issues: ErrorIssue[] = [];
  if (query.timeRange !== undefined && query.since !== undefined) issues.push({ path: 'timeRange', message: 'give timeRange or since, not both' });
  if (query.timeRange !== undefined && rangeMs(query.timeRange) > maxDays * 24 * HOUR_MS) {
    issues.push({ path: 'timeRange', message: `at most ${maxDays}d, the longest usage is kept (usage.retention)` });
  }
  const untilMs = query.until === undefined ? now : Date.parse(query.until);
  const timeRange = query.since === undefined ? query.timeRange ?? fallback : null;
  const sinceMs = query.since === undefined ? untilMs - rangeMs(timeRange ?? fallback) : Date.parse(query.since);
  if (sinceMs >= untilMs) issues.push({ path: 'since', message: 'must be before until' });
  if (issues.length > 0) throw invalidRequest(issues, 'query');
  return { since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString(), timeRange };
}
