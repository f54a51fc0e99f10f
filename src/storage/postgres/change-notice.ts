import type { StorageChange } from '../ports.ts';

/** The one NOTIFY channel of every Switchboard sharing a database; `schema` in the payload tells deployments apart. */
export const CHANGE_CHANNEL = 'switchboard_changes';

/** Who wrote a change: the deployment (its schema, '' for the default search_path) and the Storage instance. */
export interface NoticeOrigin {
  readonly schema: string;
  /** Random per Storage instance, so that it can skip the echo of its own writes (it told its listeners already). */
  readonly source: string;
}

/** The pg_notify payload: small flat JSON, far below PostgreSQL's 8000-byte limit. */
export function encodeNotice(origin: NoticeOrigin, change: StorageChange): string {
  return JSON.stringify({ schema: origin.schema, source: origin.source, ...change });
}

function toChange(notice: Record<string, unknown>): StorageChange | undefined {
  const { kind, version, id } = notice;
  if (kind === 'config' && typeof version === 'number' && Number.isSafeInteger(version)) return { kind, version };
  if (kind === 'key' && typeof id === 'string') return { kind, id };
  return undefined;
}

/**
 * The change a payload carries for `self`: undefined for another deployment's, for self's own (already told), and
 * for anything malformed (anyone with access can NOTIFY this channel; a bad payload must not reach listeners).
 */
export function decodeNotice(payload: string, self: NoticeOrigin): StorageChange | undefined {
  let notice: unknown;
  try {
    notice = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof notice !== 'object' || notice === null) return undefined;
  const fields = notice as Record<string, unknown>;
  if (fields.schema !== self.schema || fields.source === self.source) return undefined;
  return toChange(fields);
}
